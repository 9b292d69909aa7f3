/**
 * Loads `switchyard.yaml`: the file named by `--config` or `SWITCHYARD_CONFIG`, else
 * `./switchyard.yaml` when present, else built-in defaults (providers detected from
 * `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`). `SWITCHYARD_API_KEYS` and
 * `SWITCHYARD_PORT` override the file. Relative paths resolve against the file's folder.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { fieldPath } from '../formats/validate.js';
import { type Config, configSchema } from './schema.js';

/** The plugins folder shipped with Switchyard (the repo's `plugins/`). */
export const BUNDLED_PLUGINS_DIR = fileURLToPath(new URL('../../../plugins', import.meta.url));

/** A config that does not validate; the message names the file and the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  /** Explicit config file (`--config`). */
  file?: string;
  /** Explicit port (`--port`); wins over the file and `SWITCHYARD_PORT`. */
  port?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read, if any. */
  file?: string;
}

/** Finds the config file to read, if any. */
export function locateConfig(options: LoadOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.file ?? env.SWITCHYARD_CONFIG;
  if (named) return resolve(cwd, named);
  const local = resolve(cwd, 'switchyard.yaml');
  return existsSync(local) ? local : undefined;
}

/** Reads, overrides and validates the config. Throws {@link ConfigError} on any problem. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = locateConfig(options);
  const raw = file ? readYaml(file) : defaultsFromEnv(env);
  applyEnvOverrides(raw, env, options.port);
  const result = configSchema.safeParse(raw);
  const label = file ?? 'built-in defaults';
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${label}: ${i.path.length ? fieldPath(i.path) : '(top level)'}: ${i.message}`);
    throw new ConfigError(lines.join('\n'));
  }
  const config = result.data;
  const base = file ? dirname(file) : cwd;
  config.authDir = resolve(base, config.authDir);
  for (const p of config.providers) p.credentials = p.credentials.map((file) => resolve(base, file));
  config.plugins.dir = file || raw.plugins ? resolve(base, config.plugins.dir) : BUNDLED_PLUGINS_DIR;
  return { config, file };
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: (top level): expected a mapping`);
  return doc as Record<string, unknown>;
}

const ENV_PROVIDERS = [
  { env: 'OPENAI_API_KEY', name: 'openai', type: 'openai' },
  { env: 'ANTHROPIC_API_KEY', name: 'anthropic', type: 'anthropic' },
  { env: 'GEMINI_API_KEY', name: 'gemini', type: 'gemini' },
] as const;

/** The config a user gets with no file: one provider per upstream key found in the environment. */
function defaultsFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const providers = ENV_PROVIDERS.filter((p) => env[p.env]).map((p) => ({
    name: p.name,
    type: p.type,
    apiKeys: env[p.env]!.split(',').map((k) => k.trim()).filter(Boolean),
  }));
  return { providers };
}

function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, port: number | undefined): void {
  if (env.SWITCHYARD_API_KEYS !== undefined) {
    raw.apiKeys = env.SWITCHYARD_API_KEYS.split(',').map((k) => k.trim()).filter(Boolean);
  }
  const envPort = env.SWITCHYARD_PORT;
  if (port !== undefined) raw.port = port;
  else if (envPort !== undefined && envPort !== '') {
    raw.port = /^\d+$/.test(envPort) ? Number(envPort) : envPort;
  }
}
