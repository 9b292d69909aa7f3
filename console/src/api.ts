/**
 * The console's only way to the host: the management API (`/v0/management/*`) with the
 * management key as a Bearer token. The key lives in sessionStorage, so it is gone when the
 * tab closes; any 401 forgets it and sends the operator back to the login page.
 *
 * @module
 */
import type { Credential, ExplainPlan, ModelView, PluginSnapshot, RequestPage, RequestTrace, UsageAnswer, ConfigView, ValidateAnswer } from './types';

const KEY_STORAGE = 'switchyard.managementKey';
const BASE = '/v0/management';

/** A management call that did not answer 2xx; `message` is the host's own error text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let unauthorized: () => void = () => {};

/** Registers what to do when the host refuses the key (the app goes back to login). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/** The management key of this tab, if the operator logged in. */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

/** Keeps the key for this tab only (sessionStorage, not localStorage: it leaves with the tab). */
export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

/** The host's error message from any of its error shapes (OpenAI, Anthropic, Gemini or plain text). */
async function errorMessage(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof body.error === 'object' && body.error?.message) return body.error.message;
    if (typeof body.error === 'string') return body.error;
    if (body.message) return body.message;
  } catch {
    // not JSON: the text itself
  }
  return text || `${res.status} ${res.statusText}`;
}

/**
 * One management call with the stored key (or `key`, for the login check). Throws
 * {@link ApiError} for a non-2xx answer; a 401 also forgets the key and calls the
 * unauthorized handler, so every page gets logged out the same way.
 */
export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, key = storedKey()): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${key ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) {
    const message = await errorMessage(res);
    if (res.status === 401 && key === storedKey()) {
      storeKey(null);
      unauthorized();
    }
    throw new ApiError(res.status, message);
  }
  return (await res.json()) as T;
}

/** A query string from the defined, non-empty entries of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
}

/** Typed calls, one per endpoint the console uses. */
export const api = {
  credentials: () => call<Credential[]>('GET', '/credentials'),
  resetCredential: (id: string) => call<Credential>('POST', `/credentials/${encodeURIComponent(id)}/reset`),
  models: () => call<ModelView[]>('GET', '/models'),
  plugins: () => call<PluginSnapshot[]>('GET', '/plugins'),
  resetPlugin: (id: string) => call<PluginSnapshot>('POST', `/plugins/${encodeURIComponent(id)}/reset`),
  requests: (filter: Record<string, string | undefined>, cursor?: string | null, limit = 50) =>
    call<RequestPage>('GET', `/requests${query({ ...filter, cursor, limit })}`),
  request: (id: string) => call<RequestTrace>('GET', `/requests/${encodeURIComponent(id)}`),
  usage: (groupBy: 'client' | 'model' | 'provider' | 'credential', from: number, to: number) =>
    call<UsageAnswer>('GET', `/usage${query({ groupBy, from, to })}`),
  explain: (format: string, body: unknown, model?: string) => call<ExplainPlan>('POST', '/explain', { format, body, ...(model ? { model } : {}) }),
  config: () => call<ConfigView>('GET', '/config'),
  validateConfig: () => call<ValidateAnswer>('POST', '/config/validate'),
  reload: () => call<{ status: string }>('POST', '/reload'),
};
