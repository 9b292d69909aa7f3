/**
 * `switchyard import cliproxyapi`: a CLIProxyAPI config using every key the import reads becomes
 * the exact Switchyard config expected (every upstream URL CLIProxyAPI would call kept), which
 * Switchyard's schema accepts, and each setting it cannot carry is named with the reason. The
 * built command (`host/dist/cli/main.js`, so `npx tsc -b` first) writes YAML to stdout, the notes
 * to stderr and exits 0, or 2 for a file it cannot read or parse.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../config/schema.js';
import { importCliproxyapi } from './convert.js';
import { formatDuration, goDurationMs, providerName } from './values.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'cliproxyapi.yaml');
const CLI = join(import.meta.dirname, '../../../dist/cli/main.js');
const HOME = '/home/someone';

const OAUTH = /OAuth accounts .* not imported/;

/** The fixture's config as Switchyard should get it (auth-dir's `~` as `home`). */
function expected(home: string) {
  return {
    host: '0.0.0.0',
    port: 8417,
    apiKeys: ['sk-client-1', 'sk-client-2'],
    managementKey: 'mgmt-plain-secret',
    authDir: `${home}/.cli-proxy-api`,
    retry: { requestRetry: 2, maxRetryCredentials: 3, maxRetryInterval: '45s' },
    // CLIProxyAPI's 0 is its 60 s default.
    cooldown: { transientSeconds: 60 },
    routing: { strategy: 'weighted', sessionAffinity: true, sessionAffinityTtl: '90m' },
    proxyUrl: 'socks5://user:pass@127.0.0.1:1080',
    providers: [
      {
        name: 'gemini',
        type: 'gemini',
        // Shared by every entry (one with a trailing slash): on the provider, B + /v1beta.
        baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
        apiKeys: [
          { key: 'AIza-one', models: [{ name: 'gemini-2.5-pro', alias: 'pro' }] },
          // proxy-url "none" is "direct"; request-retry -1 inherits, as leaving it out does. The
          // identical third entry is dropped, as CLIProxyAPI drops it.
          { key: 'AIza-two', excludedModels: ['*-preview'], proxyUrl: 'direct' },
        ],
        // Global disable-cooling: true.
        disableCooling: true,
      },
      {
        name: 'claude',
        type: 'anthropic',
        apiKeys: [
          // No base-url: Switchyard's default is CLIProxyAPI's, https://api.anthropic.com/v1.
          { key: 'sk-ant-one', priority: 1, weight: 3 },
          // Its own base-url (B + /v1), its explicit disable-cooling: false overriding the global true.
          { key: 'sk-ant-two', baseUrl: 'https://claude.example.com/v1', headers: { 'X-Team': 'b' }, requestRetry: 1, disableCooling: false },
        ],
        disableCooling: true,
      },
      {
        name: 'codex',
        type: 'openai-responses',
        // base-url unchanged; the entry without one is left out, as CLIProxyAPI leaves it out.
        baseUrl: 'https://chatgpt.com/backend-api/codex',
        apiKeys: [{ key: 'sk-codex-one', models: [{ name: 'gpt-5-codex', alias: 'codex-latest' }] }],
        disableCooling: true,
      },
      {
        name: 'openrouter',
        type: 'openai',
        baseUrl: 'https://openrouter.ai/api/v1',
        apiKeys: [{ key: 'sk-or-one', weight: 5, proxyUrl: 'http://127.0.0.1:3128' }, 'sk-or-two'],
        // A repeated alias: an alias pool in both.
        models: [
          { name: 'moonshotai/kimi-k2', alias: 'kimi' },
          { name: 'deepseek/deepseek-chat', alias: 'kimi' },
        ],
        priority: 2,
        headers: { 'HTTP-Referer': 'https://example.com' },
        requestRetry: 1,
        // Its disable-cooling: false overrides the global true: no disableCooling.
      },
      { name: 'claude-2', type: 'openai', baseUrl: 'https://claude-proxy.example.com/v1', apiKeys: ['sk-cp'], disableCooling: true },
      { name: 'local-ollama', type: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', apiKeys: [], models: ['qwen3:8b'], disableCooling: true },
    ],
  };
}

/** Every setting of the fixture the import cannot carry, in the order it reports them. */
const NOT_CARRIED = [
  'remote-management.allow-remote',
  'remote-management.disable-control-panel',
  'auth-dir',
  'gemini-api-key[0].models[0].thinking',
  'claude-api-key[1].weight',
  'claude-api-key[1].headers.X-Claude-Code-Session-Id',
  'claude-api-key[1].prefix',
  'claude-api-key[1].request-scoped-errors',
  'claude-api-key[1].cloak',
  'codex-api-key[1]',
  'codex-api-key[0].websockets',
  'openai-compatibility[0].models[1].display-name',
  'openai-compatibility[1].name',
  'openai-compatibility[1].prefix',
  'openai-compatibility[1].api-keys',
  'openai-compatibility[2].api-key-entries',
  'openai-compatibility[3]',
  'tls',
  'debug',
  'plugins',
  'logging-to-file',
  'usage-statistics-enabled',
  'force-model-prefix',
  'quota-exceeded',
  'ws-auth',
  'streaming',
  'xai-api-key',
  'vertex-api-key',
  'interactions-api-key',
  'oauth-model-alias',
  'oauth-excluded-models',
  'oauth-request-scoped-errors',
  'payload',
];

describe('importCliproxyapi on a config using every key', () => {
  let result: ReturnType<typeof importCliproxyapi>;
  beforeAll(async () => {
    result = importCliproxyapi(parse(await readFile(FIXTURE, 'utf8')), { home: HOME });
  });

  it('carries every setting Switchyard has, keeping the upstream URLs CLIProxyAPI would call', () => {
    expect(result.config).toEqual(expected(HOME));
  });

  it('writes a config Switchyard accepts, durations and all', () => {
    // The whole config, the openai-responses (codex) provider included: the schema has that type.
    const checked = configSchema.safeParse(result.config);
    expect(checked.success ? [] : checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
    const config = checked.data!;
    expect(config.retry.maxRetryInterval).toBe(45_000);
    expect(config.routing.sessionAffinityTtl).toBe(5_400_000);
    expect(config.providers.map((p) => `${p.name}:${p.type}`)).toEqual([
      'gemini:gemini',
      'claude:anthropic',
      'codex:openai-responses',
      'openrouter:openai',
      'claude-2:openai',
      'local-ollama:openai',
    ]);
  });

  it('names each setting it could not carry, with the reason', () => {
    expect(result.notes.map((n) => n.key)).toEqual(NOT_CARRIED);
    for (const n of result.notes) expect(n.reason.length, n.key).toBeGreaterThan(15);
    const why = Object.fromEntries(result.notes.map((n) => [n.key, n.reason]));
    expect(why['oauth-model-alias']).toMatch(OAUTH);
    expect(why['oauth-excluded-models']).toMatch(OAUTH);
    expect(why['auth-dir']).toMatch(/OAuth account files in it are not imported/);
    expect(why.tls).toMatch(/TLS in front/);
    expect(why['force-model-prefix']).toMatch(/provider\/model/);
    expect(why['codex-api-key[1]']).toMatch(/no base-url: CLIProxyAPI ignores/);
    expect(why['openai-compatibility[1].name']).toBe('provider name "claude" is already taken: named "claude-2"');
    expect(why['claude-api-key[1].headers.X-Claude-Code-Session-Id']).toMatch(/copies the client's X-Session header/);
  });
});

describe('importCliproxyapi decisions', () => {
  const run = (doc: Record<string, unknown>) => importCliproxyapi(doc, { home: HOME });
  const keys = (doc: Record<string, unknown>) => run(doc).notes.map((n) => n.key);

  it('does not carry a bcrypt-hashed management key', () => {
    for (const hash of ['$2a$10$abcdefghijklmnopqrstuv', '$2b$10$abcdefghijklmnopqrstuv', '$2y$10$abcdefghijklmnopqrstuv']) {
      const { config, notes } = run({ host: '127.0.0.1', 'remote-management': { 'secret-key': hash, 'disable-control-panel': true } });
      expect(config.managementKey).toBeUndefined();
      expect(notes).toEqual([{ key: 'remote-management.secret-key', reason: expect.stringMatching(/bcrypt hash .* set managementKey yourself/) }]);
    }
  });

  it('leaves an empty or absent host to Switchyard loopback default, and says so', () => {
    for (const doc of [{ host: '' }, {}]) {
      const { config, notes } = run(doc);
      expect(config.host).toBeUndefined();
      expect(notes).toEqual([{ key: 'host', reason: expect.stringMatching(/every interface.*127\.0\.0\.1/) }]);
    }
    expect(run({ host: 'localhost', 'remote-management': { 'secret-key': 'k', 'allow-remote': false, 'disable-control-panel': true } }).notes).toEqual([]);
  });

  it('maps the retry and cooldown numbers as CLIProxyAPI reads them', () => {
    const at = (n: number) => run({ host: '127.0.0.1', 'request-retry': n, 'max-retry-credentials': n, 'max-retry-interval': n, 'transient-error-cooldown-seconds': n }).config;
    expect(at(0)).toMatchObject({ retry: { requestRetry: 0, maxRetryCredentials: 0, maxRetryInterval: '0s' }, cooldown: { transientSeconds: 60 } });
    expect(at(-1)).toMatchObject({ retry: { requestRetry: 0, maxRetryCredentials: 0, maxRetryInterval: '0s' }, cooldown: { transientSeconds: 0 } });
    expect(at(5)).toMatchObject({ retry: { requestRetry: 5, maxRetryCredentials: 5, maxRetryInterval: '5s' }, cooldown: { transientSeconds: 5 } });
  });

  it('reads routing.strategy as CLIProxyAPI does', () => {
    const strategy = (s: string) => run({ host: '127.0.0.1', routing: { strategy: s } });
    expect(strategy('round-robin').config.routing).toEqual({ strategy: 'round-robin' });
    expect(strategy('Fill-First').config.routing).toEqual({ strategy: 'fill-first' });
    expect(strategy('ff').config.routing).toEqual({ strategy: 'fill-first' });
    expect(strategy('weighted-round-robin').config.routing).toEqual({ strategy: 'weighted' });
    expect(strategy('WeightedRoundRobin').config.routing).toEqual({ strategy: 'weighted' });
    expect(strategy('random').config.routing).toBeUndefined();
    expect(strategy('random').notes.map((n) => n.key)).toEqual(['routing.strategy']);
  });

  it('turns Go durations into Switchyard ones', () => {
    expect([goDurationMs('1h'), goDurationMs('1h30m'), goDurationMs('90s'), goDurationMs('1.5h'), goDurationMs('250ms'), goDurationMs('0')]).toEqual([3_600_000, 5_400_000, 90_000, 5_400_000, 250, 0]);
    expect([goDurationMs('3600'), goDurationMs('1d'), goDurationMs('')]).toEqual([undefined, undefined, undefined]);
    expect([formatDuration(3_600_000), formatDuration(5_400_000), formatDuration(90_500), formatDuration(45_000)]).toEqual(['1h', '90m', '90500ms', '45s']);
    // Not a Go duration: CLIProxyAPI keeps its 1h default, as Switchyard does without the key.
    const { config, notes } = run({ host: '127.0.0.1', routing: { 'session-affinity': true, 'session-affinity-ttl': 3600 } });
    expect(config.routing).toEqual({ sessionAffinity: true });
    expect(notes.map((n) => n.key)).toEqual(['routing.session-affinity-ttl']);
  });

  it('expands a leading ~ in auth-dir as CLIProxyAPI does', () => {
    expect(run({ 'auth-dir': '~' }).config.authDir).toBe(HOME);
    expect(run({ 'auth-dir': '~/auths/cpa' }).config.authDir).toBe(`${HOME}/auths/cpa`);
    expect(run({ 'auth-dir': './auths' }).config.authDir).toBe('./auths');
  });

  it('puts differing base-urls on the keys and keeps the defaults of entries without one', () => {
    const { config } = run({
      host: '127.0.0.1',
      'gemini-api-key': [{ 'api-key': 'g1' }, { 'api-key': 'g2', 'base-url': 'https://gemini.example.com/' }],
      'claude-api-key': [{ 'api-key': 'c1' }, { 'api-key': 'c2' }],
      'codex-api-key': [
        { 'api-key': 'x1', 'base-url': 'https://a.example.com/v1' },
        { 'api-key': 'x2', 'base-url': 'https://b.example.com/v1' },
      ],
    });
    expect(config.providers).toEqual([
      { name: 'gemini', type: 'gemini', apiKeys: ['g1', { key: 'g2', baseUrl: 'https://gemini.example.com/v1beta' }] },
      { name: 'claude', type: 'anthropic', apiKeys: ['c1', 'c2'] },
      {
        name: 'codex',
        type: 'openai-responses',
        apiKeys: [
          { key: 'x1', baseUrl: 'https://a.example.com/v1' },
          { key: 'x2', baseUrl: 'https://b.example.com/v1' },
        ],
      },
    ]);
    expect(configSchema.safeParse(config).success).toBe(true);
  });

  it('names openai-compatibility providers as the schema wants', () => {
    expect(['OpenRouter', 'My Provider!', '  --x.y_z ', '', undefined, 42].map(providerName)).toEqual(['openrouter', 'my-provider', 'x.y_z', 'openai-compatibility', 'openai-compatibility', '42']);
  });

  it('does not report settings at their off value, nor feature parameters left at CLIProxyAPI defaults', () => {
    const stock = {
      host: '127.0.0.1',
      tls: { enable: false, cert: '', key: '' },
      debug: false,
      pprof: { enable: false, addr: '127.0.0.1:8316' },
      plugins: { enabled: false, dir: 'plugins', configs: { example: { enabled: true } } },
      'commercial-mode': false,
      'logging-to-file': false,
      'error-logs-max-files': 10,
      'redis-usage-queue-retention-seconds': 60,
      'video-result-auth-cache-ttl': '3h',
      'ws-auth': false,
      'nonstream-keepalive-interval': 0,
      'force-model-prefix': false,
      'claude-code': { 'disable-cloaking-model-list': false },
      codex: { 'identity-confuse': false, 'live-media-relay': { enabled: false, 'max-sessions': 32 } },
      'remote-management': { 'allow-remote': false, 'secret-key': '', 'disable-control-panel': false },
      'gemini-api-key': [{ 'api-key': 'g', prefix: '', 'request-scoped-errors': [], models: [{ name: 'm', 'is-compat': false }] }],
    };
    expect(run(stock).notes).toEqual([]);
    expect(keys({ ...stock, 'error-logs-max-files': 3, 'ws-auth': true, 'some-new-key': 'x' })).toEqual(['error-logs-max-files', 'ws-auth', 'some-new-key']);
  });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function switchyard(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('switchyard import cliproxyapi (the built command)', () => {
  let dir: string;
  beforeAll(async () => {
    // The command under test is the built one: a stale build would test old code.
    const built = await stat(join(import.meta.dirname, '../../../dist/cli/import-cliproxyapi/convert.js'));
    for (const file of ['command.ts', 'convert.ts', 'settings.ts', 'values.ts']) {
      const source = await stat(join(import.meta.dirname, file));
      if (built.mtimeMs < source.mtimeMs) throw new Error(`host/dist is older than host/src/cli/import-cliproxyapi/${file}: run npx tsc -b first`);
    }
    dir = await mkdtemp(join(tmpdir(), 'switchyard-import-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the YAML config to stdout, each setting it could not carry to stderr, and exits 0', async () => {
    const { code, stdout, stderr } = await switchyard('import', 'cliproxyapi', FIXTURE);
    expect(code).toBe(0);
    expect(parse(stdout)).toEqual(expected(homedir()));
    const lines = stderr.trimEnd().split('\n');
    expect(lines.map((l) => /^not carried: (\S+): \S.*$/.exec(l)?.[1])).toEqual(NOT_CARRIED);
    // Switchyard accepts it: no `check:` line.
    expect(stderr).not.toMatch(/^check:/m);
  });

  it('still writes a config Switchyard would refuse, saying what to fix', async () => {
    const file = join(dir, 'open.yaml');
    await writeFile(file, 'host: 0.0.0.0\nport: 8317\n');
    const { code, stdout, stderr } = await switchyard('import', 'cliproxyapi', file);
    expect(code).toBe(0);
    expect(parse(stdout)).toEqual({ host: '0.0.0.0', port: 8317 });
    expect(stderr).toMatch(/^check: apiKeys: an empty apiKeys list .* not 0\.0\.0\.0$/m);
  });

  it('exits 2 with the reason for a file it cannot read', async () => {
    const { code, stdout, stderr } = await switchyard('import', 'cliproxyapi', '/no/such/config.yaml');
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: 'switchyard: /no/such/config.yaml: cannot read: no such file\n' });
  });

  it('exits 2 for a file that is not YAML or not a config, and for a wrong call', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'port: 8317\n  host: [unclosed\n');
    const list = join(dir, 'list.yaml');
    await writeFile(list, '- a\n- b\n');
    const invalid = await switchyard('import', 'cliproxyapi', bad);
    expect(invalid).toMatchObject({ code: 2, stdout: '' });
    expect(invalid.stderr).toMatch(new RegExp(`^switchyard: ${bad}: invalid YAML: `));
    expect(await switchyard('import', 'cliproxyapi', list)).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('expected a mapping at the top level') });
    expect(await switchyard('import', 'litellm', list)).toMatchObject({ code: 2, stderr: expect.stringContaining('import: expected "cliproxyapi", got "litellm"') });
    expect(await switchyard('import', 'cliproxyapi')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one FILE') });
  });
});
