import type pg from 'pg';
import pgListen, { type Subscriber } from 'pg-listen';
import { BehaviorSubject, filter, firstValueFrom, Observable, Subject } from 'rxjs';
import { isTransient } from '../db/failure.js';
import { describeError } from '../kernel/error-record.js';
import type { Logger } from '../kernel/logger.js';
import { ListenUnavailableError, probeNotifications } from './probe.js';

/**
 * Where the listener stands: notifications flow only while `listening`. `unavailable`:
 * notifications do not arrive on this connection (a transaction-mode pooler), consumers poll.
 * `failed`: a permanent error (missing privilege, bad credentials, schema not installed) that
 * retrying cannot cure; every channel's Observable errored with it.
 */
export type ListenerState =
  | 'idle'
  | 'connecting'
  | 'listening'
  | 'unavailable'
  | 'failed'
  | 'closed';

/** What a {@link Listener} needs. */
export interface ListenerOptions {
  /** How to open the LISTEN connection (a session connection, not through a pooler in transaction mode). */
  readonly connection: pg.ClientConfig;
  readonly logger: Logger;
  /** A channel of this listener's own, used once to check that notifications arrive at all. */
  readonly probeChannel: string;
  /** Sends a notification from another session, as a producer would. */
  readonly sendProbe: (channel: string, payload: string) => Promise<void>;
  /** How long the probe waits for its notification before declaring LISTEN unusable. */
  readonly probeTimeoutMs: number;
  /**
   * How long after a failed probe to probe again (doubling up to 16 times this): a probe can
   * also fail because the server or this process was too busy to deliver it in time.
   */
  readonly reprobeMs: number;
  /** Interval of pg-listen's liveness query on the LISTEN connection. */
  readonly livenessCheckMs: number;
}

interface ChannelEntry {
  refs: number;
  readonly payloads: Subject<unknown>;
  /** Resolves once LISTEN on this channel has completed. */
  readonly ready: Promise<void>;
  readonly markReady: () => void;
}

function newEntry(): ChannelEntry {
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  return { refs: 0, payloads: new Subject(), ready, markReady };
}

// pg-listen is CommonJS with `exports.default`: from ESM its default import is the exports object.
const createSubscriber = pgListen.default;

/** Never throws: a payload someone NOTIFYed by hand that is not JSON is dropped, not fatal. */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One LISTEN connection (pg-listen, outside the query pool) shared by everything of one queue in
 * this process, exposed as Observables: subscribing to a channel LISTENs, and the last
 * unsubscribe UNLISTENs. It reconnects by itself after the connection or the server drops, and
 * `connected$` emits after every (re)connect so consumers can catch up on what they missed.
 * When notifications cannot work here (behind a transaction-mode pooler, say) it warns once and
 * goes `unavailable`: consumers then run on their polling alone, and it probes again later (a
 * probe may also have failed because the server or the process was too busy to deliver it).
 */
export class Listener {
  /** The current state; consumers only need it for diagnostics. */
  readonly state$ = new BehaviorSubject<ListenerState>('idle');
  readonly #connected = new Subject<void>();
  /** Emits after the first connect and after every reconnect, once channels are listened to. */
  readonly connected$: Observable<void> = this.#connected.asObservable();
  readonly #options: ListenerOptions;
  readonly #channels = new Map<string, ChannelEntry>();
  #subscriber: Subscriber | undefined;
  #warned = false;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Consecutive failed starts, for the retry backoff. */
  #failures = 0;
  /** Consecutive probes that found notifications unavailable, for the re-probe backoff. */
  #unavailable = 0;
  /** Whether the current subscriber passed its first connect and the probe. */
  #ready = false;
  /** The permanent error that failed the listener, once it did. */
  #failure: unknown;

  constructor(options: ListenerOptions) {
    this.#options = options;
  }

  /**
   * The payloads NOTIFYed on `channel`, parsed as JSON. Hot: only what arrives while subscribed.
   *
   * @example
   * ```ts
   * const sub = listener.channel('pgpulse.jobs').subscribe((notice) => console.log(notice));
   * sub.unsubscribe(); // UNLISTEN when nobody else listens to the channel
   * ```
   */
  channel<T>(name: string): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.state$.value === 'failed') {
        subscriber.error(this.#failure);
        return;
      }
      let entry = this.#channels.get(name);
      if (entry === undefined) {
        entry = newEntry();
        this.#channels.set(name, entry);
        this.#listen(name);
      }
      entry.refs++;
      const subscription = (entry.payloads as Subject<T>).subscribe(subscriber);
      const owned = entry;
      return () => {
        subscription.unsubscribe();
        owned.refs--;
        if (owned.refs === 0 && this.#channels.get(name) === owned) {
          this.#channels.delete(name);
          this.#unlisten(name);
        }
      };
    });
  }

  /**
   * Resolves once LISTEN on `name` is active, so that nothing sent from then on is missed;
   * call it after subscribing to `channel(name)`. Never resolves while notifications are
   * unavailable.
   */
  ready(name: string): Promise<void> {
    return this.#channels.get(name)?.ready ?? Promise.reject(new Error(`Not listening to ${name}`));
  }

  /**
   * Resolves once LISTEN on `name` is active (`'listening'`), or once notifications turned out
   * to be unavailable here or the listener closed (consumers then run on polling alone).
   */
  whenReady(name: string): Promise<'listening' | 'unavailable'> {
    const entry = this.#channels.get(name);
    const fallback = firstValueFrom(
      this.state$.pipe(
        filter((state) => state === 'unavailable' || state === 'failed' || state === 'closed'),
      ),
      { defaultValue: 'closed' as const },
    ).then((state) => {
      if (state === 'failed') throw this.#failure;
      return 'unavailable' as const;
    });
    if (entry === undefined) return fallback;
    return Promise.race([entry.ready.then(() => 'listening' as const), fallback]);
  }

  /** Ends the LISTEN connection for good. */
  async close(): Promise<void> {
    if (this.state$.value === 'closed') return;
    this.state$.next('closed');
    clearTimeout(this.#retryTimer);
    for (const entry of this.#channels.values()) entry.payloads.complete();
    this.#channels.clear();
    this.#connected.complete();
    await this.#dropSubscriber();
    this.state$.complete();
  }

  #listen(name: string): void {
    const state = this.state$.value;
    if (state === 'idle') {
      void this.#start();
    } else if (state === 'listening') {
      const entry = this.#channels.get(name);
      this.#subscriber?.listenTo(name)?.then(
        () => entry?.markReady(),
        (error: unknown) => this.#onError(error),
      );
    }
    // connecting: #start listens to every channel once connected; unavailable/closed: nothing.
  }

  #unlisten(name: string): void {
    const state = this.state$.value;
    if (state === 'listening') this.#subscriber?.unlisten(name)?.catch(() => undefined);
    if (this.#channels.size === 0 && (state === 'listening' || state === 'connecting')) {
      // Nobody listens any more: hand the connection back until someone does (also one still
      // connecting, which would otherwise keep the process alive for nobody).
      clearTimeout(this.#retryTimer);
      this.state$.next('idle');
      void this.#dropSubscriber();
    }
  }

  async #start(): Promise<void> {
    this.state$.next('connecting');
    const subscriber = createSubscriber(
      { ...this.#options.connection, application_name: 'pgpulse-listener' },
      {
        paranoidChecking: this.#options.livenessCheckMs,
        // Never give up reconnecting: a server restart may take longer than pg-listen's 3 s.
        retryLimit: Number.POSITIVE_INFINITY,
        retryTimeout: 0,
        retryInterval: (attempt) => Math.min(5000, 50 * 2 ** attempt),
        parse: parsePayload,
      },
    );
    this.#subscriber = subscriber;
    subscriber.events.on('notification', ({ channel, payload }) => {
      this.#channels.get(channel)?.payloads.next(payload);
    });
    subscriber.events.on('reconnect', () => {
      if (this.#subscriber === subscriber) this.state$.next('connecting');
    });
    subscriber.events.on('connected', () => {
      // pg-listen emits this inside connect(), which the probe below announces, and after
      // re-LISTENing on every reconnect, which is announced here.
      if (this.#subscriber === subscriber && this.#ready) {
        this.state$.next('listening');
        this.#connected.next();
      }
    });
    subscriber.events.on('error', (error) => this.#onError(error));
    this.#ready = false;
    try {
      await subscriber.connect();
      // One LISTEN at a time: pg deprecates piling queries on a busy client.
      const listened = new Set(this.#channels.keys());
      for (const name of listened) await subscriber.listenTo(name);
      await probeNotifications(subscriber, {
        channel: this.#options.probeChannel,
        send: this.#options.sendProbe,
        timeoutMs: this.#options.probeTimeoutMs,
      });
      // Channels subscribed while we were connecting have not been listened to yet.
      for (const [name, entry] of this.#channels) {
        if (!listened.has(name)) await subscriber.listenTo(name);
        entry.markReady();
      }
      if (this.#subscriber !== subscriber) return; // closed or restarted meanwhile
      this.#ready = true;
      this.#failures = 0;
      this.#unavailable = 0;
      this.state$.next('listening');
      this.#connected.next();
    } catch (error) {
      if (this.#subscriber !== subscriber) return;
      this.#onError(error);
    }
  }

  #onError(error: unknown): void {
    const state = this.state$.value;
    if (state === 'closed' || state === 'unavailable' || state === 'failed') return;
    if (!(error instanceof ListenUnavailableError) && !isTransient(error)) {
      // Retrying cannot cure it (no privilege, bad credentials, no schema): say so to everyone
      // subscribed, once, instead of retrying forever while they wait.
      this.#failure = error;
      this.state$.next('failed');
      clearTimeout(this.#retryTimer);
      for (const entry of this.#channels.values()) entry.payloads.error(error);
      this.#channels.clear();
      void this.#dropSubscriber();
      return;
    }
    if (error instanceof ListenUnavailableError) {
      this.#warnOnce(
        `LISTEN/NOTIFY does not work on this connection (${error.message}); ` +
          'running on polling alone. Behind a transaction-mode pooler, give pgpulse a direct ' +
          "connection for listening (listenConnectionString) and set pooler: 'transaction', " +
          'or set listen: false to poll without this warning.',
      );
      this.state$.next('unavailable');
      void this.#dropSubscriber();
      // Consumers poll meanwhile; a later probe that gets through puts notifications back.
      this.#unavailable++;
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(
        () => {
          if (this.state$.value !== 'unavailable') return;
          // Nobody listens any more: the next subscriber starts afresh.
          if (this.#channels.size > 0) void this.#start();
          else this.state$.next('idle');
        },
        this.#options.reprobeMs * 2 ** Math.min(this.#unavailable - 1, 4),
      );
      this.#retryTimer.unref();
      return;
    }
    // Could not connect, or pg-listen could not re-LISTEN after a reconnect: start afresh later.
    this.#failures++;
    this.#warnOnce(
      `notifications unavailable for now (${describeError(error).message}); ` +
        'polling until the LISTEN connection is back',
    );
    this.state$.next('connecting');
    void this.#dropSubscriber();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(
      () => {
        if (this.state$.value === 'connecting' && this.#channels.size > 0) void this.#start();
        else if (this.#channels.size === 0 && this.state$.value === 'connecting')
          this.state$.next('idle');
      },
      Math.min(5000, 100 * 2 ** Math.min(this.#failures, 6)),
    );
    this.#retryTimer.unref();
  }

  #warnOnce(message: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#options.logger.warn(`pgpulse: ${message}`, { scope: 'pgpulse.listener' });
  }

  async #dropSubscriber(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber === undefined) return;
    for (const event of ['notification', 'connected', 'reconnect', 'error'] as const) {
      subscriber.events.removeAllListeners(event);
    }
    subscriber.events.on('error', () => undefined);
    await subscriber.close().catch(() => undefined);
  }
}
