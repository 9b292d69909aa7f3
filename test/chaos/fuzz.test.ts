/**
 * Chaos 5 — fuzz. 10,000 malformed requests, generated from a fixed seed and spread over every
 * endpoint (chat completions, messages, count_tokens, Gemini generate / stream / countTokens,
 * the three model listings, management), 16 at a time: bad JSON, wrong types, 1 MB strings,
 * values nested 10,000 deep, invalid UTF-8, wrong content types, unknown and prototype-polluting
 * fields, missing bodies, wrong methods, bad credentials and odd URL segments.
 *
 * Every upstream answers 400 (the mock's standing fault), so even a request that survives the
 * host's own validation ends in a 4xx: each answer must be a 4xx in the endpoint's own error
 * shape, never a 2xx or 5xx, and the host must still answer /healthz afterwards.
 *
 * Known host bugs the fuzz found are asserted apart, as `it.fails`, and described in
 * docs/RELIABILITY.md ("Known host bugs"); the main assertions cover every other case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Format, errorMessage, prng, recordFigure, round, tally } from '../helpers/chaos.js';
import { CLIENT_KEY, type TestHost, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const CASES = 10_000;
const CONCURRENCY = 16;
const SEED = 0x5eed;
const MGMT = 'mgmt-chaos-fuzz';
const MB = 1 << 20;
const DEPTH = 10_000;

const SERVED = ['gpt-4.1', 'claude-sonnet-4-6', 'gemini-2.5-pro'];
const UNKNOWN = 'fuzz-no-such-model';
/** count_tokens estimates locally for OpenAI upstreams (a 200), so counting cases avoid gpt-4.1. */
const COUNTABLE = ['claude-sonnet-4-6', 'gemini-2.5-pro', UNKNOWN];

type Category =
  | 'bad-json'
  | 'wrong-type'
  | 'huge'
  | 'deep'
  | 'bad-utf8'
  | 'content-type'
  | 'unknown-fields'
  | 'missing-body'
  | 'wrong-method'
  | 'auth'
  | 'odd-url'
  | 'url-bad-escape'
  | 'url-long-segment'
  | 'url-double-escape'
  | 'mgmt-unknown-id';

interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  /** The error shape its answers must have. */
  shape: Format;
  /** Path for a model (ignored by endpoints without one). */
  path(model: string): string;
  /** A well-formed body, for endpoints that take one. */
  base?(model: string): Record<string, unknown>;
  models: readonly string[];
  headers: Record<string, string>;
  categories: readonly Category[];
}

const BODY_CATEGORIES: Category[] = ['bad-json', 'wrong-type', 'huge', 'deep', 'bad-utf8', 'content-type', 'unknown-fields', 'missing-body', 'wrong-method', 'auth'];
const GEMINI_CATEGORIES: Category[] = [...BODY_CATEGORIES, 'odd-url', 'url-bad-escape', 'url-long-segment', 'url-double-escape'];
const BEARER = { authorization: `Bearer ${CLIENT_KEY}` };
const MGMT_AUTH = { authorization: `Bearer ${MGMT}` };

const tool = { q: { type: 'string' } };
const openaiBody = (model: string) => ({
  model,
  max_tokens: 16,
  messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }],
  tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: tool } } }],
});
const anthropicBody = (model: string) => ({
  model,
  max_tokens: 16,
  system: 'be brief',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  tools: [{ name: 'lookup', input_schema: { type: 'object', properties: tool } }],
});
const geminiBody = () => ({
  contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
  systemInstruction: { parts: [{ text: 'be brief' }] },
  generationConfig: { maxOutputTokens: 16 },
  tools: [{ functionDeclarations: [{ name: 'lookup', parameters: { type: 'OBJECT', properties: { q: { type: 'STRING' } } } }] }],
});
const gemini = (action: string) => (model: string) => `/v1beta/models/${model}:${action}`;

const ENDPOINTS: Endpoint[] = [
  { name: 'chat-completions', method: 'POST', shape: 'openai', path: () => '/v1/chat/completions', base: openaiBody, models: [...SERVED, UNKNOWN], headers: BEARER, categories: BODY_CATEGORIES },
  { name: 'messages', method: 'POST', shape: 'anthropic', path: () => '/v1/messages', base: anthropicBody, models: [...SERVED, UNKNOWN], headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, categories: BODY_CATEGORIES },
  {
    name: 'count-tokens',
    method: 'POST',
    shape: 'anthropic',
    path: () => '/v1/messages/count_tokens',
    base: (m) => ({ ...anthropicBody(m), max_tokens: undefined }),
    models: COUNTABLE,
    headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    categories: BODY_CATEGORIES,
  },
  { name: 'gemini-generate', method: 'POST', shape: 'gemini', path: gemini('generateContent'), base: geminiBody, models: [...SERVED, UNKNOWN], headers: { 'x-goog-api-key': CLIENT_KEY }, categories: GEMINI_CATEGORIES },
  { name: 'gemini-stream', method: 'POST', shape: 'gemini', path: (m) => `${gemini('streamGenerateContent')(m)}?alt=sse`, base: geminiBody, models: [...SERVED, UNKNOWN], headers: { 'x-goog-api-key': CLIENT_KEY }, categories: GEMINI_CATEGORIES },
  { name: 'gemini-count', method: 'POST', shape: 'gemini', path: gemini('countTokens'), base: geminiBody, models: COUNTABLE, headers: { 'x-goog-api-key': CLIENT_KEY }, categories: GEMINI_CATEGORIES },
  { name: 'models-openai', method: 'GET', shape: 'openai', path: () => '/v1/models', models: [], headers: BEARER, categories: ['auth', 'wrong-method'] },
  { name: 'models-anthropic', method: 'GET', shape: 'anthropic', path: () => '/v1/models', models: [], headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, categories: ['auth'] },
  { name: 'models-gemini', method: 'GET', shape: 'gemini', path: () => '/v1beta/models', models: [], headers: { 'x-goog-api-key': CLIENT_KEY }, categories: ['auth', 'wrong-method'] },
  { name: 'model-gemini', method: 'GET', shape: 'gemini', path: (m) => `/v1beta/models/${m}`, models: [UNKNOWN], headers: { 'x-goog-api-key': CLIENT_KEY }, categories: ['auth', 'odd-url', 'url-bad-escape', 'url-long-segment'] },
  { name: 'mgmt-credentials', method: 'GET', shape: 'openai', path: () => '/v0/management/credentials', models: [], headers: MGMT_AUTH, categories: ['auth', 'wrong-method'] },
  { name: 'mgmt-models', method: 'GET', shape: 'openai', path: () => '/v0/management/models', models: [], headers: MGMT_AUTH, categories: ['auth', 'wrong-method'] },
  { name: 'mgmt-plugins', method: 'GET', shape: 'openai', path: () => '/v0/management/plugins', models: [], headers: MGMT_AUTH, categories: ['auth', 'wrong-method'] },
  // A reload ignores its body, so only bodies the parser must refuse are malformed here.
  { name: 'mgmt-reload', method: 'POST', shape: 'openai', path: () => '/v0/management/reload', models: [], headers: MGMT_AUTH, categories: ['auth', 'wrong-method', 'bad-json', 'content-type'] },
  { name: 'mgmt-credential-reset', method: 'POST', shape: 'openai', path: (id) => `/v0/management/credentials/${id}/reset`, models: ['oa%230'], headers: MGMT_AUTH, categories: ['auth', 'wrong-method', 'mgmt-unknown-id', 'url-bad-escape', 'url-long-segment'] },
  { name: 'mgmt-plugin-reset', method: 'POST', shape: 'openai', path: (id) => `/v0/management/plugins/${id}/reset`, models: ['no-such-plugin'], headers: MGMT_AUTH, categories: ['auth', 'wrong-method', 'mgmt-unknown-id', 'url-bad-escape', 'url-long-segment'] },
];

/**
 * Cases in the one bug class still open (docs/RELIABILITY.md, "Known host bugs", CHAOS-BUG-1):
 * deep values reaching the Gemini decoder or the token counter. The classes fixed since
 * (CHAOS-BUG-2 `url-double-escape`, CHAOS-BUG-3 `url-bad-escape` / `url-long-segment`,
 * CHAOS-BUG-4 `models-anthropic`, and CHAOS-BUG-1 on the chat endpoints) are held to the main
 * assertions like every other case.
 */
const KNOWN_BUG_1 = (c: Case) => c.category === 'deep' && (c.endpoint.startsWith('gemini-') || c.endpoint === 'count-tokens');

interface Case {
  id: number;
  endpoint: string;
  category: Category;
  shape: Format;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  note: string;
}

interface Result {
  status: number;
  text: string;
  clientError?: string;
}

// ---------------------------------------------------------------------------------------------
// Case generation (deterministic: everything random comes from one seeded PRNG)

function generate(): Case[] {
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const cases: Case[] = [];
  for (let id = 0; id < CASES; id++) {
    const endpoint = ENDPOINTS[id % ENDPOINTS.length]!;
    // Huge bodies are expensive: about one body case in 60 carries a 1 MB string.
    let category = pick(endpoint.categories);
    if (category === 'huge' && random() > 0.2) category = 'wrong-type';
    const model = endpoint.models.length > 0 ? pick(endpoint.models) : '';
    const c: Case = { id, endpoint: endpoint.name, category, shape: endpoint.shape, method: endpoint.method, path: endpoint.path(model), headers: { ...endpoint.headers }, note: '' };
    const json = endpoint.base?.(model);
    const jsonHeaders = () => ({ ...c.headers, 'content-type': 'application/json' });
    switch (category) {
      case 'bad-json': {
        const text = JSON.stringify(json ?? { any: 'thing' });
        const variants = [
          () => text.slice(0, 1 + Math.floor(random() * (text.length - 2))),
          () => `${text.slice(0, -1)},}`,
          () => text.replaceAll('"', "'"),
          () => `{"model": ${pick(['', 'NaN', 'undefined', '0x10', '.5', '"unterminated'])}}`,
          () => Array.from({ length: 1 + Math.floor(random() * 64) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join(''),
          () => `${text}${pick(['}', ']', ',', 'x', '{}'])}`,
          () => pick(['{', '[', '"', 'nul', 'tru', '{"a":1 "b":2}', '{"a"}', '\u0000', '{"a":1}\u0000']),
        ];
        c.body = pick(variants)();
        c.headers = jsonHeaders();
        c.note = c.body.slice(0, 40);
        break;
      }
      case 'wrong-type': {
        const [path, value] = wrongType(json!, pick, random);
        c.body = JSON.stringify(setPath(json!, path, value));
        c.headers = jsonHeaders();
        c.note = `${path.join('.')} = ${JSON.stringify(value)?.slice(0, 30)}`;
        break;
      }
      case 'huge': {
        const path = pick([...leafPaths(json!), ['x_unknown'], ['model']]);
        c.body = JSON.stringify(setPath(json!, path, pick(['x', 'é', '\u{1F600}', ' ']).repeat(MB / 4) + 'y'.repeat(MB / 2)));
        c.headers = jsonHeaders();
        c.note = `1 MB string at ${path.join('.')}`;
        break;
      }
      case 'deep': {
        const path = pick([...leafPaths(json!), ['x_unknown'], ['metadata'], ...toolSchemaPaths(json!)]);
        const open = random() < 0.5 ? '[' : '{"a":';
        const close = open === '[' ? ']' : '}';
        const deep = `${open.repeat(DEPTH)}1${close.repeat(DEPTH)}`;
        c.body = JSON.stringify(setPath(json!, path, '__DEEP__')).replace('"__DEEP__"', deep);
        c.headers = jsonHeaders();
        c.note = `depth ${DEPTH} ${open === '[' ? 'arrays' : 'objects'} at ${path.join('.')}`;
        break;
      }
      case 'bad-utf8': {
        const bytes = Buffer.from(JSON.stringify(json));
        const at = Math.floor(random() * bytes.length);
        const bad = Buffer.from(pick([[0xff], [0xfe, 0xff], [0xc0, 0x80], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]));
        c.body = Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]);
        c.headers = jsonHeaders();
        c.note = `${bad.toString('hex')} at byte ${at}`;
        break;
      }
      case 'content-type': {
        const type = pick(['text/html', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/octet-stream', 'image/png', 'application/vnd.api+json', 'json', '']);
        c.body = Buffer.from(JSON.stringify(json ?? { any: 'thing' }));
        c.headers = type ? { ...c.headers, 'content-type': type } : { ...c.headers };
        c.note = type || '(none)';
        break;
      }
      case 'unknown-fields': {
        const count = 1 + Math.floor(random() * 4);
        const fields = Array.from({ length: count }, () => {
          const name = pick(['__proto__', 'constructor', 'prototype', '', ' ', 'model ', 'MESSAGES', 'x'.repeat(300), 'ünïcødé', 'a.b', '$ref', `f${Math.floor(random() * 1e6)}`]);
          const value = pick([{ polluted: true }, { prototype: { polluted: true } }, null, 1, 'v', [1, { a: null }], true]);
          return `${JSON.stringify(name)}:${JSON.stringify(value)}`;
        });
        // Raw text, so `__proto__` reaches the server as a key and not as a prototype.
        const text = JSON.stringify(json);
        c.body = `${text.slice(0, -1)},${fields.join(',')}}`;
        c.headers = jsonHeaders();
        c.note = fields.map((f) => f.slice(0, 20)).join(' ');
        break;
      }
      case 'missing-body': {
        const type = pick(['application/json', 'text/plain', '']);
        if (type) c.headers = { ...c.headers, 'content-type': type };
        c.note = type || '(no content-type)';
        break;
      }
      case 'wrong-method': {
        c.method = endpoint.method === 'GET' ? pick(['POST', 'PUT', 'DELETE', 'PATCH']) : pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
        if (c.method !== 'GET' && random() < 0.5) {
          c.body = JSON.stringify(json ?? { any: 'thing' });
          c.headers = jsonHeaders();
        }
        c.note = c.method;
        break;
      }
      case 'auth': {
        const variants: [string, Record<string, string>, string][] = [
          ['none', {}, ''],
          ['wrong bearer', { authorization: 'Bearer sk-wrong' }, ''],
          ['empty bearer', { authorization: 'Bearer ' }, ''],
          ['basic', { authorization: 'Basic c2stY2xpZW50LXRlc3Q6' }, ''],
          ['wrong x-api-key', { 'x-api-key': 'sk-wrong' }, ''],
          ['wrong x-goog-api-key', { 'x-goog-api-key': CLIENT_KEY.toUpperCase() }, ''],
          ['key prefix', { authorization: `Bearer ${CLIENT_KEY.slice(0, -1)}` }, ''],
          ['key suffix', { 'x-api-key': `${CLIENT_KEY}x` }, ''],
          ['wrong ?key=', {}, 'key=sk-wrong'],
          ['empty ?key=', {}, 'key='],
        ];
        const [label, headers, query] = pick(variants);
        c.headers = endpoint.method === 'POST' ? { ...headers, 'content-type': 'application/json' } : headers;
        if (endpoint.name === 'models-anthropic') c.headers['anthropic-version'] = '2023-06-01';
        if (query) c.path += `${c.path.includes('?') ? '&' : '?'}${query}`;
        if (json) c.body = JSON.stringify(json);
        else if (endpoint.method === 'POST') c.body = '{}';
        c.note = label;
        break;
      }
      case 'odd-url': {
        // No bare dot segments for GET /v1beta/models/{m}: the URL parser would resolve `.` to the listing itself.
        const dots = endpoint.method === 'POST' ? ['..', '.'] : [];
        const segment = pick([
          ...dots,
          encodeURIComponent('ünïcødé-model'),
          'a'.repeat(64),
          encodeURIComponent('models/../../v0/management/credentials'),
          'a:b:c',
          encodeURIComponent(' '),
          encodeURIComponent('model\u0000null'),
          encodeURIComponent('\u{1F600}'),
          'models%2Fgpt-4.1-nope',
          `${UNKNOWN}:`,
        ]);
        c.path = endpoint.path(segment);
        if (json) {
          c.body = JSON.stringify(json);
          c.headers = jsonHeaders();
        }
        c.note = segment.slice(0, 40);
        break;
      }
      case 'url-bad-escape':
      case 'url-long-segment':
      case 'url-double-escape': {
        const segment =
          category === 'url-bad-escape'
            ? pick(['%', 'a%zz', '%ff', '%e2%82', 'x%C0%80', '%%'])
            : category === 'url-long-segment'
              ? pick(['m', 'x', encodeURIComponent('é')]).repeat(120 + Math.floor(random() * 2000))
              : pick(['a%25ff', 'a%25', '%25zz', '%25e2%2582']);
        c.path = endpoint.path(segment);
        if (json) {
          c.body = JSON.stringify(json);
          c.headers = jsonHeaders();
        }
        c.note = segment;
        break;
      }
      case 'mgmt-unknown-id': {
        const id = pick(['oa%2399', 'nope%230', '%23', 'oa%23-1', 'oa%23abc', '__proto__', 'constructor%230', 'toString', 'x'.repeat(90), encodeURIComponent('ünï#0')]);
        c.path = endpoint.path(id);
        c.note = id.slice(0, 40);
        break;
      }
    }
    cases.push(c);
  }
  return cases;
}

const WRONG_VALUES: unknown[] = [42, -1, 1.5, 1e308, 'str', '', true, false, null, [], {}, [1, 'a', null], { x: { y: 1 } }, [[[]]]];
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** A path of `body` (or a new top-level field) and a value of another type than what is there. */
function wrongType(body: Record<string, unknown>, pick: <T>(items: readonly T[]) => T, random: () => number): [(string | number)[], unknown] {
  const paths = [...allPaths(body), ['stream'], ['temperature'], ['stop'], ['generationConfig', 'temperature']];
  const path = pick(paths);
  const current = getPath(body, path);
  let value = pick(WRONG_VALUES);
  for (let i = 0; i < 8 && kind(value) === kind(current); i++) value = WRONG_VALUES[Math.floor(random() * WRONG_VALUES.length)];
  return [path, value];
}

function allPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return prefix.length ? [prefix] : [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value).filter(([, v]) => v !== undefined);
  return [...(prefix.length ? [prefix] : []), ...entries.flatMap(([k, v]) => allPaths(v, [...prefix, k]))];
}

function leafPaths(value: unknown): (string | number)[][] {
  return allPaths(value).filter((p) => {
    const v = getPath(value, p);
    return typeof v !== 'object' || v === null;
  });
}

function toolSchemaPaths(body: Record<string, unknown>): (string | number)[][] {
  return allPaths(body).filter((p) => ['parameters', 'input_schema', 'properties'].includes(String(p.at(-1))));
}

function getPath(value: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[k] : undefined), value);
}

function setPath(body: Record<string, unknown>, path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
  return copy;
}

// ---------------------------------------------------------------------------------------------

let mock: MockUpstream;
let host: TestHost;
const cases = generate();
const results: Result[] = [];
let durationS = 0;

beforeAll(async () => {
  mock = await startMockUpstream();
  // Every upstream call is refused as the request's fault: no failover, no cooldown, a 400.
  mock.fault({ kind: 'status', status: 400, message: 'fuzz: upstream refuses' });
  host = await startHost({
    managementKey: MGMT,
    providers: [
      { name: 'oa', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: ['sk-fuzz-oa'], models: ['gpt-4.1'] },
      { name: 'an', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: ['sk-fuzz-an'], models: ['claude-sonnet-4-6'] },
      { name: 'ge', type: 'gemini', baseUrl: mock.baseUrl('gemini'), apiKeys: ['sk-fuzz-ge'], models: ['gemini-2.5-pro'] },
    ],
    // A failure the host blames on an upstream must not turn later cases into 429s.
    cooldown: { transientSeconds: 0 },
    retry: { requestRetry: 0 },
  });
  // Failed management logins get the address throttled (429 for a while, whatever it sends), so
  // those cases go last and every other management case still reaches its handler.
  const order = [...cases].sort((a, b) => Number(mgmtLoginFailure(a)) - Number(mgmtLoginFailure(b)));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < order.length) {
        const c = order[next++]!;
        results[c.id] = await send(c);
      }
    }),
  );
  durationS = (performance.now() - started) / 1000;
}, 180_000);
afterAll(async () => {
  await host?.close();
  await mock?.close();
});

const mgmtLoginFailure = (c: Case) => c.endpoint.startsWith('mgmt-') && c.category === 'auth';

async function send(c: Case): Promise<Result> {
  try {
    const res = await fetch(`${host.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body, signal: AbortSignal.timeout(20_000) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return { status: 0, text: '', clientError: `${e.name}: ${e.message}${e.cause ? ` (${e.cause.message})` : ''}` };
  }
}

/** Problems with one answer: not a 4xx, or not in the endpoint's shape. */
function problems(c: Case, r: Result): { status?: string; shape?: string } {
  const out: { status?: string; shape?: string } = {};
  if (r.clientError || r.status < 400 || r.status > 499) out.status = r.clientError ?? `status ${r.status}`;
  // Every 4xx (OPTIONS and wrong methods included) must carry the error body in the shape.
  else if (errorMessage(c.shape, r.text, r.status) === undefined) out.shape = `not ${c.shape}-shaped: ${r.text.slice(0, 120)}`;
  return out;
}

/** Distinct failures, grouped so a report stays readable: endpoint, category, what went wrong. */
function grouped(filter: (c: Case) => boolean, which: 'status' | 'shape'): string[] {
  const groups = new Map<string, { count: number; example: string }>();
  for (const c of cases) {
    if (!filter(c)) continue;
    const p = problems(c, results[c.id]!)[which];
    if (!p) continue;
    const key = `${c.endpoint} ${c.category}: ${p.replace(/\d+ms/g, 'Nms').slice(0, 100)}`;
    const g = groups.get(key) ?? { count: 0, example: `${c.method} ${c.path.slice(0, 80)} [${c.note}]` };
    g.count++;
    groups.set(key, g);
  }
  return [...groups].map(([key, g]) => `${key} (x${g.count}, e.g. ${g.example})`);
}

describe(`fuzz: ${CASES} malformed requests, seed ${SEED}`, () => {
  it('records its figures', () => {
    expect(results.length).toBe(CASES);
    const bad = cases.filter((c) => problems(c, results[c.id]!).status);
    const badShape = cases.filter((c) => problems(c, results[c.id]!).shape);
    recordFigure('fuzz', {
      cases: CASES,
      seed: SEED,
      concurrency: CONCURRENCY,
      durationS: round(durationS, 2),
      requestsPerSecond: round(CASES / durationS),
      bytesSent: cases.reduce((n, c) => n + (c.body ? Buffer.byteLength(c.body) : 0), 0),
      perCategory: tally(cases.map((c) => c.category)),
      perEndpoint: tally(cases.map((c) => c.endpoint)),
      statuses: tally(cases.map((c) => String(results[c.id]!.status || results[c.id]!.clientError))),
      non4xx: tally(bad.map((c) => `${c.category} -> ${results[c.id]!.status || 'no answer'}`)),
      wrongShape: tally(badShape.map((c) => `${c.endpoint} ${c.category} -> ${results[c.id]!.status}`)),
    });
  });

  it('answers every malformed request with a 4xx, never a 2xx or 5xx (CHAOS-BUG-1 cases aside)', () => {
    expect(grouped((c) => !KNOWN_BUG_1(c), 'status')).toEqual([]);
  });

  it("answers each 4xx in the endpoint's own error shape (CHAOS-BUG-1 cases aside)", () => {
    expect(grouped((c) => !KNOWN_BUG_1(c), 'shape')).toEqual([]);
  });

  it('still answers /healthz, and no prototype was polluted', async () => {
    const res = await fetch(`${host.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  // CHAOS-BUG-1 (docs/RELIABILITY.md, "Known host bugs"), still open for two paths: a value
  // nested 10,000 deep in a Gemini tool's `parameters` overflows the stack in the Gemini decoder
  // (500 Internal error, whatever the model), and in a count_tokens body it overflows inside the
  // counting attempt (502, taken for an upstream failure).
  it('CHAOS-BUG-1 (fixed): a Gemini or count_tokens body nested 10,000 deep is a 4xx in the endpoint shape', () => {
    expect([...grouped(KNOWN_BUG_1, 'status'), ...grouped(KNOWN_BUG_1, 'shape')]).toEqual([]);
  });

  /** One request nested 10,000 deep at `path`, then a valid chat request for the same model, on a host with the default 60 s transient cooldown. */
  async function deepThenValid(path: string, deepBody: (model: string, deep: string) => string) {
    const cleanMock = await startMockUpstream();
    const cleanHost = await startHost({
      providers: [
        { name: 'oa', type: 'openai', baseUrl: cleanMock.baseUrl('openai'), apiKeys: ['sk-fuzz-oa'], models: ['gpt-4.1'] },
        { name: 'an', type: 'anthropic', baseUrl: cleanMock.baseUrl('anthropic'), apiKeys: ['sk-fuzz-an'], models: ['claude-sonnet-4-6'] },
      ],
      retry: { requestRetry: 0 },
    });
    try {
      const post = (p: string, body: string) => fetch(`${cleanHost.url}${p}`, { method: 'POST', headers: { 'x-api-key': CLIENT_KEY, 'content-type': 'application/json' }, body });
      const deep = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
      const out: Record<string, unknown> = {};
      for (const model of ['gpt-4.1', 'claude-sonnet-4-6']) {
        const bad = await post(path, deepBody(model, deep));
        const next = await post('/v1/messages', JSON.stringify({ model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }));
        out[model] = { deep: bad.status, next: next.status };
      }
      return out;
    } finally {
      await cleanHost.close();
      await cleanMock.close();
    }
  }
  const fine = { deep: 400, next: 200 };

  // CHAOS-BUG-1 as first found: the overflow was taken for an upstream network failure, so one
  // such request cooled the credential (60 s) and the next valid request got 429. Fixed for
  // chat requests (b51ce72); held here. A same-format body goes upstream as the client's own
  // bytes, never re-serialised, so the host has nothing to overflow on and the upstream decides
  // (this clean mock takes it).
  it('a chat body nested 10,000 deep is a 400 (or relayed untouched) and cools no credential', async () => {
    const body = (model: string, deep: string) => `{"model":"${model}","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"a","input_schema":${deep}}]}`;
    expect(await deepThenValid('/v1/messages', body)).toEqual({ 'gpt-4.1': fine, 'claude-sonnet-4-6': { deep: 200, next: 200 } });
  });

  // CHAOS-BUG-1, still open for token counting: 502, and the credential cools, so the next valid
  // chat request for the model gets 429 for cooldown.transientSeconds.
  it('CHAOS-BUG-1 (fixed): a count_tokens body nested 10,000 deep is a 400 that cools no credential', async () => {
    const body = (model: string, deep: string) => `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"tools":[{"name":"a","input_schema":${deep}}]}`;
    expect(await deepThenValid('/v1/messages/count_tokens', body)).toEqual({ 'gpt-4.1': fine, 'claude-sonnet-4-6': fine });
  });
});
