/** Small data hooks shared by the pages: loading a resource, running an action, throttling. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** What {@link useResource} gives: the latest data (kept while reloading) and the last error. */
export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  /** Loads again, keeping the current data on screen meanwhile. */
  reload: () => void;
}

/**
 * Loads `load()` when `deps` change (aborting the previous load) and on `reload()`.
 *
 * @example
 * ```ts
 * const workers = useResource((signal) => get<WorkerList>('/workers', {}, signal), []);
 * ```
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // The caller's deps decide when to load; `load` itself is read from a ref.
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [...deps, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, loading, reload };
}

/** What {@link useAction} gives: whether an action runs, its error, and how to run one. */
export interface Action {
  busy: boolean;
  error: unknown;
  /** Runs `task`, recording its error; resolves to its value, or undefined when it failed. */
  run: <T>(task: () => Promise<T>) => Promise<T | undefined>;
  clear: () => void;
}

/** Runs mutations one at a time, keeping the last error for an alert. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T>(task: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await task();
    } catch (failure) {
      setError(failure);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}

/**
 * A function that calls `fn` at most once per `intervalMs`: the first call runs after
 * `intervalMs`, and calls meanwhile join it. Used to refresh lists on bursts of live events.
 */
export function useThrottled(fn: () => void, intervalMs: number): () => void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      fnRef.current();
    }, intervalMs);
  }, [intervalMs]);
}

/** The current time, refreshed every `intervalMs`, for "ago" columns. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

/** Sets the tab's title to `title · pgpulse` while the caller is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · pgpulse`;
  }, [title]);
}
