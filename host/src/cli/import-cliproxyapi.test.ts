/**
 * `switchyard import cliproxyapi`: a CLIProxyAPI config using every key it reads becomes the
 * equivalent Switchyard config (every upstream URL kept), and each setting it cannot carry is
 * named on stderr with the reason.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../config/schema.js';
import { importCliproxyapi } from './import-cliproxyapi.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'cliproxyapi.yaml');
const CLI = join(import.meta.dirname, '../../dist/cli/main.js');

describe('importCliproxyapi', () => {
  const { config, notes } = importCliproxyapi(parse(readFileSync(FIXTURE, 'utf8')));

  it('carries every setting Switchyard has, keeping the upstream URLs CLIProxyAPI would call', () => {
    expect(config).toEqual({
      port: 8317,
      apiKeys: ['sk-client-1', 'sk-client-2'],
      authDir: join(homedir(), '.cli-proxy-api'),
      managementKey: 'mgmt-plain-secret',
      proxyUrl: 'socks5://user:pass@127.0.0.1:1080',
      retry: { requestRetry: 3, maxRetryCredentials: 2, maxRetryInterval: '30s' },
      cooldown: { transientSeconds: 60 },
      routing: { strategy: 'weighted', sessionAffinity: true, sessionAffinityTtl: '2h' },
      providers: [
        {
          name: 'gemini',
          type: 'gemini',
          baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
          apiKeys: [
            { key: 'AIza-one', models: [{ name: 'gemini-2.5-pro', alias: 'pro' }] },
            { key: 'AIza-two', proxyUrl: 'direct', excludedModels: ['*-preview'] },
          ],
        },
        {
          name: 'claude',
          type: 'anthropic',
          apiKeys: [
            { key: 'sk-ant-one', baseUrl: 'https://api.anthropic.com/v1', priority: 1, weight: 3 },
            { key: 'sk-ant-two', baseUrl: 'https://claude.example.com/v1', headers: { 'X-Team': 'b' }, requestRetry: 1, disableCooling: true },
          ],
        },
        { name: 'codex', type: 'openai-responses', baseUrl: 'https://api.openai.com/v1', apiKeys: ['sk-codex-one'] },
        {
          name: 'openrouter',
          type: 'openai',
          baseUrl: 'https://openrouter.ai/api/v1',
          apiKeys: [{ key: 'sk-or-one', proxyUrl: 'http://127.0.0.1:3128' }, 'sk-or-two'],
          models: [
            { name: 'moonshotai/kimi-k2', alias: 'kimi' },
            { name: 'deepseek/deepseek-chat', alias: 'kimi' },
          ],
          headers: { 'HTTP-Referer': 'https://example.com' },
        },
      ],
    });
  });

  it('names each setting it could not carry, with the reason', () => {
    const keys = notes.map((n) => n.key);
    expect(keys).toEqual(
      expect.arrayContaining(['tls', 'debug', 'force-model-prefix', 'quota-exceeded', 'oauth-model-alias', 'payload', 'remote-management.allow-remote', 'remote-management.disable-control-panel', 'claude-api-key[1].prefix', 'openai-compatibility[1]']),
    );
    for (const n of notes) expect(n.reason.length).toBeGreaterThan(5);
  });

  it('writes a config Switchyard accepts', () => {
    const result = configSchema.safeParse(config);
    expect(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });

  it('does not carry a bcrypt-hashed management key', () => {
    const { config: hashed, notes: why } = importCliproxyapi({ 'remote-management': { 'secret-key': '$2a$10$abcdefghijklmnopqrstuv' } });
    expect(hashed.managementKey).toBeUndefined();
    expect(why.map((n) => n.key)).toEqual(['remote-management.secret-key']);
  });
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('switchyard import cliproxyapi (the built command)', () => {
  it('writes YAML to stdout, the settings it could not carry to stderr, and exits 0', async () => {
    const { code, stdout, stderr } = await run(['import', 'cliproxyapi', FIXTURE]);
    expect(code).toBe(0);
    expect(parse(stdout).providers.map((p: { name: string }) => p.name)).toEqual(['gemini', 'claude', 'codex', 'openrouter']);
    expect(stderr).toMatch(/^not carried: tls: /m);
    expect(stderr).toMatch(/^not carried: oauth-model-alias: /m);
  });

  it('exits 2 with the reason for a file it cannot read', async () => {
    const { code, stderr } = await run(['import', 'cliproxyapi', '/no/such/config.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('/no/such/config.yaml: cannot read');
  });
});
