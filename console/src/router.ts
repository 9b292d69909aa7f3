/**
 * Client-side routing under `/console/`: the History API and a hook, nothing more. The host
 * answers every unknown `/console/*` path with index.html, so a reload or a shared link to
 * `/console/requests/<id>` lands on the right page.
 *
 * @module
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';
const CHANGE = 'switchyard:navigate';

/** The path below `/console` (`/credentials`, `/requests/abc`), `/` for the overview. */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return path === '' ? '/' : path;
}

/** Goes to `path` (below `/console`) without reloading; `replace` keeps history unchanged. */
export function navigate(path: string, replace = false): void {
  const url = BASE + (path === '/' ? '/' : path);
  if (url === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  dispatchEvent(new Event(CHANGE));
}

/** The current path, re-rendering on navigation and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    addEventListener('popstate', update);
    addEventListener(CHANGE, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(CHANGE, update);
    };
  }, []);
  return path;
}
