/**
 * The live feed: one `EventSource` on `<base>/api/live` for the whole page, shared by every
 * component through hooks. `overview` events replace the overview; `job` events go to their
 * subscribers and (but progress) to a short list of recent activity. The browser reconnects by
 * itself; when the server closed the stream for good (e.g. it answered an error), the feed opens
 * a new one after a pause.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveJobEvent, Overview } from '../api-types.js';
import { get } from './api.js';
import { apiUrl } from './paths.js';

/** The state of the live connection, shown in the header. */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting';

const RECENT_LIMIT = 40;
const REOPEN_DELAY_MS = 3000;

class LiveFeed {
  status: ConnectionStatus = 'connecting';
  overview: Overview | null = null;
  /** Newest first. */
  recent: LiveJobEvent[] = [];
  readonly #changed = new Set<() => void>();
  readonly #jobEvents = new Set<(event: LiveJobEvent) => void>();
  #source: EventSource | null = null;

  start(): void {
    if (this.#source !== null) return;
    const source = new EventSource(apiUrl('/live'));
    this.#source = source;
    source.onopen = () => this.#setStatus('live');
    source.onerror = () => {
      this.#setStatus('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        this.#source = null;
        setTimeout(() => this.start(), REOPEN_DELAY_MS);
      }
    };
    source.addEventListener('overview', (message) => {
      const overview = parse<Overview>(message);
      if (overview !== null) this.setOverview(overview);
    });
    source.addEventListener('job', (message) => {
      const event = parse<LiveJobEvent>(message);
      if (event !== null) this.#onJobEvent(event);
    });
  }

  setOverview(overview: Overview): void {
    this.overview = overview;
    this.#emit();
  }

  onChange(listener: () => void): () => void {
    this.#changed.add(listener);
    return () => this.#changed.delete(listener);
  }

  onJobEvent(listener: (event: LiveJobEvent) => void): () => void {
    this.#jobEvents.add(listener);
    return () => this.#jobEvents.delete(listener);
  }

  #onJobEvent(event: LiveJobEvent): void {
    for (const listener of this.#jobEvents) listener(event);
    if (event.type !== 'progress') {
      this.recent = [event, ...this.recent].slice(0, RECENT_LIMIT);
      this.#emit();
    }
  }

  #setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.#emit();
  }

  #emit(): void {
    for (const listener of this.#changed) listener();
  }
}

function parse<T>(message: Event): T | null {
  try {
    return JSON.parse((message as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}

/** The page's one live feed. */
export const liveFeed = new LiveFeed();

/** Re-renders the caller on every change of the feed (status, overview, recent activity). */
function useFeedVersion(): void {
  const [, setVersion] = useState(0);
  useEffect(() => liveFeed.onChange(() => setVersion((v) => v + 1)), []);
}

/** The connection's state. */
export function useConnectionStatus(): ConnectionStatus {
  useFeedVersion();
  return liveFeed.status;
}

/** The recent job events, newest first. */
export function useRecentActivity(): LiveJobEvent[] {
  useFeedVersion();
  return liveFeed.recent;
}

/**
 * The latest overview: from the live feed, or read once from `GET /overview` when the feed has
 * not delivered one yet. `error` is that read's failure.
 */
export function useOverview(): { overview: Overview | null; error: unknown } {
  useFeedVersion();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (liveFeed.overview !== null) return;
    const controller = new AbortController();
    get<Overview>('/overview', undefined, controller.signal).then(
      (overview) => {
        if (liveFeed.overview === null) liveFeed.setOverview(overview);
      },
      (failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      },
    );
    return () => controller.abort();
  }, []);
  return { overview: liveFeed.overview, error: liveFeed.overview === null ? error : null };
}

/** Calls `handler` for every live job event while the caller is mounted. */
export function useJobEvents(handler: (event: LiveJobEvent) => void): void {
  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  useEffect(() => liveFeed.onJobEvent((event) => handlerRef.current(event)), []);
}
