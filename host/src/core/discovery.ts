/**
 * Lists the models of providers whose config names none, from the upstream's models endpoint,
 * with the provider's first credential. A provider that cannot be listed keeps serving
 * provider-qualified names (`openai/gpt-4.1`).
 *
 * @module
 */
import type { Catalog } from './catalog.js';

/** Where discovery reports what it found and what failed. */
export interface DiscoveryLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Fills the catalog with listed models; resolves within `timeoutMs` whatever happens. */
export async function discoverModels(catalog: Catalog, log: DiscoveryLog, timeoutMs = 5000): Promise<void> {
  const jobs = [...catalog.providers.values()]
    .filter((p) => p.discoversModels && p.credentials.length > 0)
    .map(async (provider) => {
      try {
        const models = await provider.credentials[0]!.upstream.listModels(AbortSignal.timeout(timeoutMs));
        if (models === undefined) return;
        catalog.setDiscoveredModels(provider.name, models);
        log.info({ provider: provider.name, models: models.length }, 'listed upstream models');
      } catch (err) {
        log.warn({ provider: provider.name, reason: (err as Error).message }, 'could not list upstream models; provider-qualified names still work');
      }
    });
  await Promise.all(jobs);
}
