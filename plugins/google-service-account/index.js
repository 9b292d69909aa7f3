// @ts-check
/**
 * google-service-account: keeps `"type": "service_account"` credentials (Google service-account
 * key files) usable. For each refresh it signs a JWT with the file's private key (RS256:
 * `iss` = `client_email`, `aud` = `token_uri`, scope cloud-platform, one hour at most) and
 * exchanges it at `token_uri` with the jwt-bearer grant (RFC 7523), the way Google's own client
 * libraries do. The access token goes upstream as `Authorization: Bearer`; the project and
 * region (`location`, default `us-central1`) are answered as metadata, so the host can build the
 * Vertex AI URLs. The key file never changes, so nothing is written back to it.
 *
 * Error messages name the HTTP status and the server's OAuth `error`/`error_description`, never
 * the private key, the signed assertion or a token.
 */

import { createPrivateKey, sign } from 'node:crypto';

/**
 * @typedef {object} ServiceAccountConfig
 * @property {string | string[]} [scope] OAuth scope(s) asked for (default cloud-platform)
 * @property {string} [location] Vertex region used when the file has no `location` (default us-central1)
 * @property {number} [timeoutMs] how long to wait for the token endpoint (default 10000)
 */

/** @typedef {import('@switchyard/plugin-sdk').AuthCredential} AuthCredential */
/** @typedef {import('@switchyard/plugin-sdk').AuthRefreshResult} AuthRefreshResult */
/** @typedef {import('@switchyard/plugin-sdk').PluginContext<ServiceAccountConfig | undefined>} Context */

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const DEFAULT_LOCATION = 'us-central1';
/** Google accepts assertions of at most an hour. */
const ASSERTION_LIFETIME = 3600;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_DESCRIPTION = 300;

/**
 * A non-empty string, or undefined.
 * @param {unknown} value
 */
const str = (value) => (typeof value === 'string' && value !== '' ? value : undefined);

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
 * base64url of a JSON value.
 * @param {unknown} value
 */
const b64json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The token endpoint's answer as an object, or undefined when it is not a JSON object.
 * @param {Response} res
 * @returns {Promise<Record<string, unknown> | undefined>}
 */
async function readAnswer(res) {
  try {
    const value = JSON.parse(await res.text());
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
 * The signed JWT assertion for `material`.
 * @param {{clientEmail: string, privateKeyPem: string, keyId?: string, tokenUri: string, scope: string}} account
 * @param {string} label for error messages
 */
function assertion(account, label) {
  let key;
  try {
    key = createPrivateKey(account.privateKeyPem);
  } catch {
    // OpenSSL's reason is not worth the risk of quoting key material: say which field is wrong.
    throw new Error(`${label}: private_key is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${label}: private_key is not an RSA key`);
  const now = Math.floor(Date.now() / 1000);
  /** @type {Record<string, unknown>} */
  const header = { alg: 'RS256', typ: 'JWT' };
  if (account.keyId) header.kid = account.keyId;
  const claims = { iss: account.clientEmail, scope: account.scope, aud: account.tokenUri, iat: now, exp: now + ASSERTION_LIFETIME };
  const input = `${b64json(header)}.${b64json(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Exchanges a fresh JWT for an access token.
 * @param {AuthCredential} credential
 * @param {Context} ctx
 * @returns {Promise<AuthRefreshResult>}
 */
async function refresh(credential, ctx) {
  const material = credential.material;
  const config = ctx.config ?? {};
  const label = `service-account refresh of ${credential.id}`;
  const clientEmail = str(material.client_email);
  let privateKeyPem = str(material.private_key);
  if (!clientEmail) throw new Error(`${label}: the key file has no client_email`);
  if (!privateKeyPem) throw new Error(`${label}: the key file has no private_key`);
  // A key pasted through YAML or an env var sometimes keeps its JSON escapes.
  if (!privateKeyPem.includes('\n') && privateKeyPem.includes('\\n')) privateKeyPem = privateKeyPem.replace(/\\n/g, '\n');
  const tokenUri = str(material.token_uri) ?? GOOGLE_TOKEN_URI;
  /** @type {URL} */
  let url;
  try {
    url = new URL(tokenUri);
  } catch {
    throw new Error(`${label}: token_uri is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${label}: token_uri must be http(s)`);
  const scope = Array.isArray(config.scope) ? config.scope.join(' ') : (str(config.scope) ?? CLOUD_PLATFORM);

  const jwt = assertion({ clientEmail, privateKeyPem, keyId: str(material.private_key_id), tokenUri, scope }, label);
  const secrets = [jwt, privateKeyPem, ...jwt.split('.')];
  const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion: jwt }).toString();
  const timeoutMs = typeof config.timeoutMs === 'number' && config.timeoutMs > 0 ? config.timeoutMs : DEFAULT_TIMEOUT_MS;
  const where = `${url.origin}${url.pathname}`;
  const started = Date.now();
  const sent = await postForm(url, { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, ctx.signal, timeoutMs);
  if ('failure' in sent) {
    if (sent.failure === 'cancelled') throw new Error(`${label}: cancelled`);
    if (sent.failure === 'timeout') throw new Error(`${label}: ${where} did not answer within ${timeoutMs} ms`);
    throw new Error(`${label}: ${where} unreachable${typeof sent.cause === 'string' ? ` (${scrub(sent.cause, secrets)})` : ''}`);
  }
  const { res, answer } = sent;

  if (!res.ok || typeof answer?.access_token !== 'string' || answer.access_token === '') {
    const error = typeof answer?.error === 'string' ? scrub(answer.error, secrets) : undefined;
    const description = typeof answer?.error_description === 'string' ? scrub(answer.error_description, secrets) : undefined;
    const why = error ? `${error}${description ? `: ${description}` : ''}` : res.ok ? 'the answer has no access_token' : 'no OAuth error in the answer';
    throw new Error(`${label}: token endpoint ${where} answered HTTP ${res.status}: ${why}`);
  }

  const lifetime = Number(answer.expires_in);
  // Google answers 3599; counted from before the request went out. Without one, the assertion's hour.
  const expiresAt = started + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : ASSERTION_LIFETIME) * 1000;
  /** @type {Record<string, unknown>} */
  const metadata = { location: str(material.location) ?? str(config.location) ?? DEFAULT_LOCATION };
  const projectId = str(material.project_id);
  if (projectId) metadata.project_id = projectId;
  return { token: answer.access_token, expiresAt, metadata };
}

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<ServiceAccountConfig | undefined>} */
export default {
  auth: { types: ['service_account'], refresh },
};
