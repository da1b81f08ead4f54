import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Queue, type QueueOptions } from 'pgpulse';

/** The injection token of the application's one `Queue`. */
export const QUEUE = Symbol('pgpulse.Queue');

/**
 * Closes the queue when the application shuts down (`app.close()`, or a signal once
 * `app.enableShutdownHooks()` is on): its workers stop gracefully, giving running jobs their
 * `graceMs`, then its connections end, so the process can exit.
 */
@Injectable()
class QueueShutdown implements OnApplicationShutdown {
  constructor(@Inject(QUEUE) private readonly queue: Queue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * One `Queue` for the whole application, injected with `@Inject(QUEUE)` anywhere (the module is
 * global). Import `PgPulseModule.forRoot(options)` once, in the root module.
 */
@Global()
@Module({})
export class PgPulseModule {
  static forRoot(options: QueueOptions): DynamicModule {
    return {
      module: PgPulseModule,
      providers: [{ provide: QUEUE, useFactory: () => new Queue(options) }, QueueShutdown],
      exports: [QUEUE],
    };
  }
}
