import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

// `tsx examples/nestjs/main.ts`: a worker process (an HTTP app, with @nestjs/platform-express,
// starts the same way with NestFactory.create). enableShutdownHooks() turns SIGINT and SIGTERM
// into app.close(): the worker stops gracefully, then the queue closes.
const app = await NestFactory.createApplicationContext(
  AppModule.create({ connectionString: process.env.DATABASE_URL ?? 'postgres://localhost/app' }),
);
app.enableShutdownHooks();
