/**
 * Login: one password field for the management key. Enter submits; the key is checked with
 * one management call before it is kept (sessionStorage, this tab only).
 *
 * @module
 */
import { useState } from 'preact/hooks';
import { ApiError, call, storeKey } from '../api';

/** The login form; `onLogin` runs once the host accepted the key. */
export function LoginPage({ onLogin, expired }: { onLogin: () => void; expired: boolean }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(expired ? 'The management key was refused; log in again.' : null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!key || busy) return;
    setBusy(true);
    setError(null);
    try {
      // The cheapest management read: it only proves the key.
      await call('GET', '/plugins', undefined, key);
      storeKey(key);
      onLogin();
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(
        status === 401
          ? 'Wrong management key.'
          : status === 404
            ? 'The management API is off on this host: set managementKey in its config.'
            : status === 429
              ? `Too many failed attempts: ${(err as Error).message}`
              : `Could not reach the host: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={submit} class="card">
        <h1>Switchyard</h1>
        <p class="muted">Operator console. Log in with the host's management key.</p>
        <label for="management-key">Management key</label>
        <input id="management-key" name="managementKey" type="password" autoComplete="current-password" autoFocus value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <button type="submit" disabled={busy || !key}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        {error && (
          <p class="notice notice-bad" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
