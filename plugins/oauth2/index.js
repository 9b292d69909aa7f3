// @ts-check
/**
 * oauth2: keeps `"type": "oauth2"` credentials usable with the OAuth 2.0 refresh-token grant
 * (RFC 6749 section 6). The host calls `refresh` ahead of the access token's expiry; the plugin
 * POSTs `grant_type=refresh_token` to the token endpoint and answers the new access token (sent
 * upstream as `Authorization: Bearer`), its expiry, and the material the host writes back to the
 * credential file: the access token, its `expires_at`, and the refresh token (the new one when
 * the server rotated it, else the old one).
 *
 * `token_url`, `client_id` and `client_secret` come from the credential file, else from the
 * plugin config (`tokenUrl`, `clientId`, `clientSecret`); the file wins.
 *
 * Error messages name the HTTP status and the server's OAuth `error`/`error_description`, never
 * a refresh token, client secret or access token (any of them the server echoes is redacted).
 */

/**
 * @typedef {object} OAuth2Config
 * @property {string} [tokenUrl] token endpoint used when the credential file has no `token_url`
 * @property {string} [clientId] client id used when the file has no `client_id`
 * @property {string} [clientSecret] client secret used when the file has no `client_secret`
 * @property {'body' | 'basic'} [clientAuth] how the client authenticates: form fields (default) or HTTP Basic
 * @property {number} [timeoutMs] how long to wait for the token endpoint (default 10000)
 * @property {number} [defaultExpiresIn] lifetime (seconds) assumed when the answer has no `expires_in` (default 3600)
 */

/** @typedef {import('@switchyard/plugin-sdk').AuthCredential} AuthCredential */
/** @typedef {import('@switchyard/plugin-sdk').AuthRefreshResult} AuthRefreshResult */
/** @typedef {import('@switchyard/plugin-sdk').PluginContext<OAuth2Config | undefined>} Context */

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_EXPIRES_IN = 3600;
/** How much of the server's `error_description` a message keeps. */
const MAX_DESCRIPTION = 300;

/**
 * A non-empty string field of the credential material, else of the config.
 * @param {unknown} fromFile
 * @param {unknown} fromConfig
 * @returns {string | undefined}
 */
function pick(fromFile, fromConfig) {
  if (typeof fromFile === 'string' && fromFile !== '') return fromFile;
  if (typeof fromConfig === 'string' && fromConfig !== '') return fromConfig;
  return undefined;
}

/**
 * `text` with every secret in it replaced, control characters dropped and its length capped.
 * @param {string} text
 * @param {string[]} secrets
 */
function scrub(text, secrets) {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > MAX_DESCRIPTION ? `${out.slice(0, MAX_DESCRIPTION)}…` : out;
}

/**
 * The token endpoint's answer as an object: JSON, or form-encoded (some providers answer that).
 * @param {Response} res
 * @returns {Promise<Record<string, unknown> | undefined>}
 */
async function readAnswer(res) {
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POSTs a form to the token endpoint and reads the answer, within `timeoutMs` and until `signal`
 * aborts. A plain controller and timer rather than `AbortSignal.any([signal,
 * AbortSignal.timeout()])`: Node 20 can garbage-collect that composite's timeout while fetch
 * waits, and the request then never times out.
 * @param {URL} url
 * @param {Record<string, string>} headers
 * @param {string} body
 * @param {AbortSignal} signal
 * @param {number} timeoutMs
 * @returns {Promise<{res: Response, answer: Record<string, unknown> | undefined} | {failure: 'cancelled' | 'timeout' | 'network', cause?: unknown}>}
 */
async function postForm(url, headers, body, signal, timeoutMs) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    // No redirects: a token endpoint that answers one must not get the secrets re-sent elsewhere.
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'error', signal: controller.signal });
    return { res, answer: await readAnswer(res) };
  } catch (err) {
    if (signal.aborted) return { failure: 'cancelled' };
    if (timedOut) return { failure: 'timeout' };
    const e = /** @type {{cause?: {code?: unknown, message?: unknown}}} */ (err);
    return { failure: 'network', cause: e?.cause?.code ?? e?.cause?.message };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Where the token endpoint is, for messages: origin and path, without any query or user info.
 * @param {URL} url
 */
const where = (url) => `${url.origin}${url.pathname}`;

/**
 * The refresh-token grant for one credential.
 * @param {AuthCredential} credential
 * @param {Context} ctx
 * @returns {Promise<AuthRefreshResult>}
 */
async function refresh(credential, ctx) {
  const material = credential.material;
  const config = ctx.config ?? {};
  const tokenUrl = pick(material.token_url, config.tokenUrl);
  const clientId = pick(material.client_id, config.clientId);
  const clientSecret = pick(material.client_secret, config.clientSecret);
  const refreshToken = pick(material.refresh_token, undefined);
  const label = `oauth2 refresh of ${credential.id}`;
  if (!refreshToken) throw new Error(`${label}: the credential has no refresh_token`);
  if (!tokenUrl) throw new Error(`${label}: no token_url in the credential file and no tokenUrl in the plugin config`);
  if (!clientId) throw new Error(`${label}: no client_id in the credential file and no clientId in the plugin config`);
  /** @type {URL} */
  let url;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new Error(`${label}: token_url is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${label}: token_url must be http(s)`);

  const secrets = [refreshToken, clientSecret ?? '', typeof material.access_token === 'string' ? material.access_token : ''];
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (config.clientAuth === 'basic') {
    // RFC 6749 2.3.1: each part form-urlencoded, then joined and base64-encoded.
    const enc = (/** @type {string} */ s) => encodeURIComponent(s).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret ?? '')}`).toString('base64')}`;
  } else {
    form.set('client_id', clientId);
    if (clientSecret) form.set('client_secret', clientSecret);
  }
  const scope = Array.isArray(material.scope) ? material.scope.join(' ') : material.scope;
  if (typeof scope === 'string' && scope !== '') form.set('scope', scope);

  const timeoutMs = typeof config.timeoutMs === 'number' && config.timeoutMs > 0 ? config.timeoutMs : DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  const sent = await postForm(url, headers, form.toString(), ctx.signal, timeoutMs);
  if ('failure' in sent) {
    if (sent.failure === 'cancelled') throw new Error(`${label}: cancelled`);
    if (sent.failure === 'timeout') throw new Error(`${label}: ${where(url)} did not answer within ${timeoutMs} ms`);
    throw new Error(`${label}: ${where(url)} unreachable${typeof sent.cause === 'string' ? ` (${scrub(sent.cause, secrets)})` : ''}`);
  }
  const { res, answer } = sent;

  if (!res.ok || typeof answer?.access_token !== 'string' || answer.access_token === '') {
    const error = typeof answer?.error === 'string' ? scrub(answer.error, secrets) : undefined;
    const description = typeof answer?.error_description === 'string' ? scrub(answer.error_description, secrets) : undefined;
    const why = error ? `${error}${description ? `: ${description}` : ''}` : res.ok ? 'the answer has no access_token' : 'no OAuth error in the answer';
    throw new Error(`${label}: token endpoint ${where(url)} answered HTTP ${res.status}: ${why}`);
  }

  const accessToken = answer.access_token;
  const lifetime = Number(answer.expires_in);
  const defaultLifetime = typeof config.defaultExpiresIn === 'number' && config.defaultExpiresIn > 0 ? config.defaultExpiresIn : DEFAULT_EXPIRES_IN;
  // Counted from before the request went out: the token cannot live longer than that.
  const expiresAt = started + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : defaultLifetime) * 1000;
  const rotated = typeof answer.refresh_token === 'string' && answer.refresh_token !== '' ? answer.refresh_token : undefined;
  return {
    token: accessToken,
    expiresAt,
    material: { access_token: accessToken, expires_at: new Date(expiresAt).toISOString(), refresh_token: rotated ?? refreshToken },
  };
}

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<OAuth2Config | undefined>} */
export default {
  auth: { types: ['oauth2'], refresh },
};
