import { randomUUID } from 'node:crypto';
import { Observable, type Subscription } from 'rxjs';
import type { Context } from '../db/context.js';
import { isTransient, retryTransient } from '../db/failure.js';
import { describeError } from '../kernel/error-record.js';
import { ConfigurationError } from '../kernel/errors.js';
import { IntervalTask } from '../kernel/interval-task.js';
import { channelsFor } from '../notify/channels.js';
import type { Listener } from '../wake/listener.js';
import { type JobEvent, toJobEvent } from './job-events.js';

/** How long a watcher registration lasts without renewal; renewed every third of it. */
const WATCH_TTL_MS = 30_000;

/** The first registration, whose connection dropped, is tried again this often, then fails. */
const REGISTER_RETRIES = { attempts: 8, baseDelayMs: 100 };

/**
 * Lifecycle events of one queue, or of all, as a hot Observable. While subscribed, this process
 * registers as a watcher in the database, which makes every pgpulse statement (in any process)
 * emit its events; with no watcher, no statement pays for them.
 */
export function jobEvents(
  ctx: Context,
  listener: Listener,
  queue: string | null,
  track: (subscription: { stop(): Promise<void> }) => () => void,
): Observable<JobEvent> {
  return new Observable<JobEvent>((subscriber) => {
    const channel = channelsFor(ctx.options.schema).events;
    const watcherId = randomUUID();
    let payloads: Subscription | undefined;
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        untrack();
        payloads?.unsubscribe();
        await renewal.stop();
        await ctx.run('unwatch_events', [watcherId]).catch((error: unknown) => {
          ctx.options.logger.warn('pgpulse: could not unregister an event watcher', {
            scope: 'pgpulse.events',
            error: describeError(error),
          });
        });
      })();
      return closing;
    };
    /** A permanent failure (no privilege, no schema, no LISTEN): the subscriber hears it. */
    const fail = (error: unknown) => {
      if (closing !== undefined) return;
      void close();
      subscriber.error(error);
    };
    const renewal = new IntervalTask(
      'event watcher',
      async () => {
        try {
          await ctx.run('watch_events', [watcherId, WATCH_TTL_MS]);
        } catch (error) {
          if (!isTransient(error)) fail(error);
          throw error; // transient: logged, and the next renewal tries again
        }
      },
      WATCH_TTL_MS / 3,
      ctx.options.logger,
      'pgpulse.events',
    );
    const untrack = track({
      stop: async () => {
        subscriber.complete();
        await close();
      },
    });
    payloads = listener.channel<unknown>(channel).subscribe({
      next: (chunk) => {
        if (!Array.isArray(chunk)) return;
        for (const raw of chunk) {
          const event = toJobEvent(raw);
          if (event !== null && (queue === null || event.queue === queue)) subscriber.next(event);
        }
      },
      error: fail,
    });
    // Register only once LISTEN is active, so that no event emitted for us is missed. Events
    // travel only by NOTIFY: where notifications cannot arrive (a transaction-mode pooler), say
    // so instead of emitting nothing forever.
    void listener
      .whenReady(channel)
      .then((state) => {
        if (state === 'unavailable') {
          throw new ConfigurationError(
            'events() needs LISTEN/NOTIFY, which does not work on this connection: give the ' +
              'queue a direct connection for listening (listenConnectionString)',
          );
        }
        if (closing !== undefined) return;
        return retryTransient(() => renewal.runOnce(), REGISTER_RETRIES).then(() => {
          if (closing === undefined) renewal.start();
        });
      })
      .catch(fail);
    return () => void close();
  });
}
