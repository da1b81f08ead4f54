import { type DynamicModule, Module } from '@nestjs/common';
import type { QueueOptions } from 'pgpulse';
import { consoleMailer, type Mailer } from '../shared/jobs.js';
import { EmailsModule, MAILER } from './emails.js';
import { PgPulseModule } from './pgpulse.module.js';

/** The root module: the queue, the mailer and the emails feature. */
@Module({})
export class AppModule {
  static create(queue: QueueOptions, mailer: Mailer = consoleMailer): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [PgPulseModule.forRoot(queue), EmailsModule],
      providers: [{ provide: MAILER, useValue: mailer }],
      exports: [MAILER],
    };
  }
}
