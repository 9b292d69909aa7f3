import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { BUNDLED_PLUGINS_DIR, ConfigError, loadConfig } from './load.js';
import { watchConfig } from './watch.js';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
  const file = join(dir, 'switchyard.yaml');
  await writeFile(file, text);
  return file;
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['30', 30_000],
    [30, 30_000],
  ] as const)('%s is %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['soon', '-1s', '1w', ''])('rejects %s', (input) => expect(parseDuration(input)).toBeUndefined());
});

describe('loadConfig', () => {
  it('applies defaults to an empty file', async () => {
    const file = await configFile('');
    const { config } = loadConfig({ file, env: {} });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8317, apiKeys: [], routing: { strategy: 'round-robin' }, retry: { requestRetry: 3, maxRetryInterval: 30_000 } });
    expect(config.authDir).toBe(join(file, '..', 'auths'));
  });

  it('names the file and the key of every error', async () => {
    const file = await configFile('providers:\n  - name: Bad Name\n    type: cohere\nrouting:\n  strategy: random\nretry:\n  maxRetryInterval: soon\n');
    let message = '';
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain(`${file}: providers[0].name:`);
    expect(message).toContain(`${file}: providers[0].type:`);
    expect(message).toContain(`${file}: routing.strategy:`);
    expect(message).toContain(`${file}: retry.maxRetryInterval: invalid duration "soon"`);
  });

  it('rejects unknown keys, so typos do not pass silently', async () => {
    const file = await configFile('routing:\n  stratgy: fill-first\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/routing: Unrecognized key: "stratgy"/);
  });

  it('rejects duplicate provider names', async () => {
    const file = await configFile('providers:\n  - {name: a, type: openai}\n  - {name: a, type: gemini}\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/providers\[1\]\.name: duplicate provider name "a"/);
  });

  it('refuses to run without client keys on a public address', async () => {
    const file = await configFile('host: 0.0.0.0\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/apiKeys: an empty apiKeys list/);
    const ok = await configFile('host: 0.0.0.0\napiKeys: [k]\n');
    expect(loadConfig({ file: ok, env: {} }).config.host).toBe('0.0.0.0');
  });

  it('reports invalid YAML with the file name', async () => {
    const file = await configFile('providers: [\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(new RegExp(`${file}: invalid YAML`));
  });

  it('takes the file from SWITCHYARD_CONFIG and keys and port from the environment', async () => {
    const file = await configFile('port: 9000\napiKeys: [from-file]\n');
    const { config } = loadConfig({ env: { SWITCHYARD_CONFIG: file, SWITCHYARD_API_KEYS: 'a, b', SWITCHYARD_PORT: '9100' } });
    expect(config.apiKeys).toEqual(['a', 'b']);
    expect(config.port).toBe(9100);
    expect(loadConfig({ env: { SWITCHYARD_CONFIG: file, SWITCHYARD_PORT: '9100' }, port: 9200 }).config.port).toBe(9200);
  });

  it('without a file, detects providers from upstream key variables and uses the bundled plugins', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'switchyard-empty-'));
    const { config, file } = loadConfig({ cwd, env: { OPENAI_API_KEY: 'sk-o', GEMINI_API_KEY: 'g1,g2' } });
    expect(file).toBeUndefined();
    expect(config.providers.map((p) => [p.name, p.type, p.apiKeys])).toEqual([
      ['openai', 'openai', ['sk-o']],
      ['gemini', 'gemini', ['g1', 'g2']],
    ]);
    expect(config.plugins.dir).toBe(BUNDLED_PLUGINS_DIR);
  });
});

describe('watchConfig', () => {
  it('hands over a valid change and ignores an invalid one', async () => {
    const file = await configFile('port: 9000\n');
    const current = { ...loadConfig({ file, env: {} }), file };
    const changes: number[] = [];
    const errors: string[] = [];
    const watcher = watchConfig(current, { env: {} }, (next) => changes.push(next.config.port), (err) => errors.push(err.message), 20);
    try {
      await writeFile(file, 'port: 9001\n');
      await expect.poll(() => changes).toEqual([9001]);
      await writeFile(file, 'port: not-a-port\n');
      await expect.poll(() => errors.length).toBeGreaterThan(0);
      expect(errors[0]).toContain(`${file}: port:`);
      expect(changes).toEqual([9001]);
    } finally {
      watcher.close();
    }
  });
});
