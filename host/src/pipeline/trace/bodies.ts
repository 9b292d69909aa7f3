/**
 * Request and answer bodies in decision traces, only when `logging.bodies` asks for them
 * (`errors`: requests answered with 400 or above; `all`), each cut to {@link BODY_CAP}
 * characters, with every secret the config holds replaced by `[redacted]` first: client keys,
 * the management key, upstream keys, proxy and Redis passwords. A stream's answer is not kept.
 *
 * @module
 */
import type { Config } from '../../config/schema.js';
import { proxySecrets } from '../../upstream/proxy-url.js';

/** Characters kept of each body: 10,000 traces with both bodies stay under 100 MB. */
export const BODY_CAP = 4096;

export interface TraceBodies {
  request?: string;
  response?: string;
  /** Set when either body was cut to {@link BODY_CAP}. */
  truncated?: true;
}

export type BodiesMode = Config['logging']['bodies'];

/** One config's body recording: what it keeps, and the secrets it removes. */
export class BodyRecorder {
  readonly mode: BodiesMode;
  readonly #config: Config;
  #secrets: string[] | undefined;

  constructor(config: Config) {
    this.mode = config.logging.bodies;
    this.#config = config;
  }

  /** Whether a request answered with `status` keeps its bodies. */
  keeps(status: number): boolean {
    return this.mode === 'all' || (this.mode === 'errors' && status >= 400);
  }

  /** The bodies as a trace keeps them: redacted, then cut. */
  record(request: string | null | undefined, response: string | null | undefined): TraceBodies {
    const out: TraceBodies = {};
    for (const [field, text] of [['request', request], ['response', response]] as const) {
      if (text === null || text === undefined) continue;
      const clean = this.#redact(text);
      if (clean.length > BODY_CAP) out.truncated = true;
      out[field] = clean.length > BODY_CAP ? clean.slice(0, BODY_CAP) : clean;
    }
    return out;
  }

  #redact(text: string): string {
    // Built on first use: a config that keeps no bodies never lists its secrets.
    this.#secrets ??= secretsOf(this.#config);
    for (const secret of this.#secrets) if (text.includes(secret)) text = text.split(secret).join('[redacted]');
    return text;
  }
}

/** Every secret `config` holds, longest first (a URL holding a password goes before the password). */
function secretsOf(config: Config): string[] {
  const secrets = new Set<string>();
  const proxy = (url: string | undefined) => {
    if (url !== 'direct') for (const s of proxySecrets(url)) secrets.add(s);
  };
  // Header values hold tokens as often as not; short ones (`eu`, `1`) would scrub ordinary words.
  const headers = (record: Record<string, string> = {}) => {
    for (const value of Object.values(record)) if (value.length >= 8) secrets.add(value);
  };
  for (const k of config.apiKeys) secrets.add(typeof k === 'string' ? k : k.key);
  if (config.managementKey) secrets.add(config.managementKey);
  proxy(config.proxyUrl);
  proxy(config.state.url);
  for (const provider of config.providers) {
    proxy(provider.proxyUrl);
    headers(provider.headers);
    for (const k of provider.apiKeys) {
      if (typeof k === 'string') secrets.add(k);
      else {
        secrets.add(k.key);
        proxy(k.proxyUrl);
        headers(k.headers);
      }
    }
  }
  secrets.delete('');
  return [...secrets].sort((a, b) => b.length - a.length);
}
