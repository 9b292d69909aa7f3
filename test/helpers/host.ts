/**
 * Starts a real gateway for a test: writes a config file into a temp folder, starts the host
 * on a free loopback port, and tears everything down afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { stringify } from 'yaml';
import { Gateway, createLogger } from '../../host/src/index.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

export const CLIENT_KEY = 'sk-client-test';

export interface TestHost {
  gateway: Gateway;
  url: string;
  dir: string;
  configFile: string;
  /** Rewrites the config file (the gateway's watcher picks it up). */
  writeConfig(config: Record<string, unknown>): Promise<void>;
  /** Stops the gateway and starts a new one on the same config file and authDir (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Log lines a test host wrote, parsed (pino JSON). */
export type LogLines = Record<string, unknown>[];

export async function startHost(config: Record<string, unknown>, options: { watch?: boolean; logs?: LogLines } = {}): Promise<TestHost> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-test-'));
  const configFile = join(dir, 'switchyard.yaml');
  const write = (c: Record<string, unknown>) => writeFile(configFile, stringify({ port: 0, apiKeys: [CLIENT_KEY], ...c }));
  await write(config);
  const logger = options.logs ? capturingLogger(options.logs) : createLogger('silent');
  const start = () => Gateway.start({ file: configFile, env: {}, watch: options.watch ?? false, logger });
  const host: TestHost = {
    gateway: await start(),
    get url() {
      return this.gateway.url;
    },
    dir,
    configFile,
    writeConfig: write,
    async restart() {
      await host.gateway.close();
      host.gateway = await start();
    },
    async close() {
      await host.gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return host;
}

/** The host's own logger (redaction included) with its lines landing in `lines`, so tests can assert what the host logged. */
function capturingLogger(lines: LogLines): FastifyBaseLogger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return createLogger('debug', stream);
}

/** Upstream keys the standard config gives each mock provider, one per provider. */
export const UPSTREAM_KEYS = { openai: 'sk-up-openai-0', anthropic: 'sk-up-anthropic-0', gemini: 'sk-up-gemini-0', 'openai-responses': 'sk-up-responses-0' } as const;

/** A config with one provider per upstream type, all pointing at the mock. */
export function mockProviders(mock: MockUpstream): Record<string, unknown>[] {
  return [
    { name: 'openai', type: 'openai', baseUrl: mock.baseUrl('openai'), apiKeys: [UPSTREAM_KEYS.openai], models: ['gpt-4.1', 'gpt-4.1-mini'] },
    { name: 'anthropic', type: 'anthropic', baseUrl: mock.baseUrl('anthropic'), apiKeys: [UPSTREAM_KEYS.anthropic], models: ['claude-sonnet-4-6'] },
    { name: 'gemini', type: 'gemini', baseUrl: mock.baseUrl('gemini'), apiKeys: [UPSTREAM_KEYS.gemini], models: ['gemini-2.5-pro'] },
  ];
}

/** The model each upstream type serves in {@link mockProviders}. */
export const UPSTREAM_MODEL = { openai: 'gpt-4.1', anthropic: 'claude-sonnet-4-6', gemini: 'gemini-2.5-pro', 'openai-responses': 'gpt-5-responses' } as const;

/** A provider of type `openai-responses` on the mock (its Responses API, beside Chat Completions). */
export function responsesProvider(mock: MockUpstream): Record<string, unknown> {
  return { name: 'responses', type: 'openai-responses', baseUrl: mock.baseUrl('openai'), apiKeys: [UPSTREAM_KEYS['openai-responses']], models: [UPSTREAM_MODEL['openai-responses']] };
}

/**
 * Registers `beforeAll`/`afterAll` hooks that start a mock upstream and a host serving
 * {@link mockProviders} (plus `extra` config), and close both afterwards; with `logs`, the
 * host's log lines land there. Read `mock` and `host` inside tests or hooks: they are only set
 * once `beforeAll` has run.
 */
export function useGateway(
  extra: Record<string, unknown> = {},
  providers: (mock: MockUpstream) => Record<string, unknown>[] = mockProviders,
  logs?: LogLines,
): { readonly mock: MockUpstream; readonly host: TestHost } {
  let mock: MockUpstream | undefined;
  let host: TestHost | undefined;
  beforeAll(async () => {
    mock = await startMockUpstream();
    host = await startHost({ providers: providers(mock), ...extra }, { logs });
  });
  afterAll(async () => {
    await host?.close();
    await mock?.close();
  });
  return {
    get mock() {
      if (!mock) throw new Error('useGateway: the mock upstream is not started yet (read it inside a test)');
      return mock;
    },
    get host() {
      if (!host) throw new Error('useGateway: the host is not started yet (read it inside a test)');
      return host;
    },
  };
}
