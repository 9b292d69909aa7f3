/**
 * Loading one management resource into a page: the last good answer, the last error, a
 * refresh function, optional polling. Refreshes asked for in a burst (one per live event)
 * are coalesced, so 100 events in a second cost a handful of calls, not 100.
 *
 * @module
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** Loads again now (or right after the load in flight). */
  refresh: () => void;
  /** Loads again soon: calls within `coalesceMs` make one load. */
  refreshSoon: () => void;
}

/**
 * Calls `load` at mount, whenever `deps` change, every `pollMs` (if given) and on refresh.
 * A stale answer (from before a deps change) is dropped.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number, coalesceMs = 300): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const inFlight = useRef(false);
  const again = useRef(false);
  const soon = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async () => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    const mine = generation.current;
    try {
      const value = await loadRef.current();
      if (mine === generation.current) {
        setData(value);
        setError(undefined);
      }
    } catch (err) {
      if (mine === generation.current) setError(err as Error);
    } finally {
      inFlight.current = false;
      if (mine === generation.current) setLoading(false);
      if (again.current) {
        again.current = false;
        void run();
      }
    }
  }, []);

  useEffect(() => {
    generation.current++;
    inFlight.current = false;
    setLoading(true);
    void run();
    const timer = pollMs ? setInterval(() => void run(), pollMs) : undefined;
    return () => {
      generation.current++;
      if (timer) clearInterval(timer);
      if (soon.current) clearTimeout(soon.current);
      soon.current = undefined;
    };
  }, deps);

  const refreshSoon = useCallback(() => {
    soon.current ??= setTimeout(() => {
      soon.current = undefined;
      void run();
    }, coalesceMs);
  }, [coalesceMs]);

  return { data, error, loading, refresh: () => void run(), refreshSoon };
}
