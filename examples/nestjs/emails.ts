import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Queue, Worker } from 'pgpulse';
import { EMAILS, type Mailer, welcomeJob } from '../shared/jobs.js';
import { QUEUE } from './pgpulse.module.js';

/** The injection token of the mailer the worker sends with (a fake one in tests). */
export const MAILER = Symbol('Mailer');

/** The producing side: any service sends jobs through the injected queue. */
@Injectable()
export class SignupsService {
  constructor(@Inject(QUEUE) private readonly queue: Queue) {}

  async signUp(email: string): Promise<string> {
    const { id } = await this.queue.send(EMAILS, { to: email }, { name: 'welcome' });
    return id;
  }
}

/**
 * The consuming side: a worker started when the application has bootstrapped, which fails the
 * start when it cannot work (`worker.ready` rejects, e.g. on a schema that is not installed).
 */
@Injectable()
export class EmailsWorker implements OnApplicationBootstrap, OnModuleDestroy {
  #worker: Worker | undefined;

  constructor(
    @Inject(QUEUE) private readonly queue: Queue,
    @Inject(MAILER) private readonly mailer: Mailer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.#worker = this.queue.work(EMAILS, [welcomeJob(this.mailer)], { concurrency: 10 });
    await this.#worker.ready;
  }

  // Stops this worker first, gracefully; the queue itself closes after it (PgPulseModule).
  async onModuleDestroy(): Promise<void> {
    await this.#worker?.stop({ graceMs: 30_000 });
  }
}

@Module({ providers: [SignupsService, EmailsWorker], exports: [SignupsService] })
export class EmailsModule {}
