/**
 * Messages a page shows instead of (or above) its data: an error from the host, or loading.
 *
 * @module
 */
import { ApiError } from '../api';

/** The error `error` in words; `notFound` replaces the text for a 404 (an endpoint this host lacks). */
export function ErrorNote({ error, notFound }: { error: Error | undefined; notFound?: string }) {
  if (!error) return null;
  const text = error instanceof ApiError && error.status === 404 && notFound ? notFound : error instanceof ApiError ? `${error.status}: ${error.message}` : error.message;
  return (
    <p class="notice notice-bad" role="alert">
      {text}
    </p>
  );
}

/** A quiet line while the first answer is on its way. */
export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}
