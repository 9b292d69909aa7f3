/**
 * Lists the models of providers whose config names none, from the upstream's models endpoint,
 * with the provider's first credential. A provider that cannot be listed keeps serving
 * provider-qualified names (`openai/gpt-4.1`).
 *
 * @module
 */
import type { FastifyBaseLogger } from 'fastify';
import { CODECS } from '../formats/index.js';
import { readJson, sendUpstream } from '../upstream/client.js';
import { modelsPath, parseModelList } from '../upstream/providers.js';
import type { Runtime } from './runtime.js';

/** Fills the runtime's catalog with listed models; resolves within `timeoutMs` whatever happens. */
export async function discoverModels(rt: Runtime, log: FastifyBaseLogger, timeoutMs = 5000): Promise<void> {
  const jobs = [...rt.catalog.providers.values()]
    .filter((p) => p.discoversModels && p.credentials[0]?.endpoint)
    .map(async (provider) => {
      const endpoint = provider.credentials[0]!.endpoint!;
      try {
        const response = await sendUpstream(
          rt.agent,
          endpoint,
          { method: 'GET', path: modelsPath(endpoint) },
          AbortSignal.timeout(timeoutMs),
          CODECS[provider.type].errorMessage,
        );
        const models = parseModelList(provider.type, await readJson(response));
        rt.catalog.setDiscoveredModels(provider.name, models);
        log.info({ provider: provider.name, models: models.length }, 'listed upstream models');
      } catch (err) {
        log.warn({ provider: provider.name, reason: (err as Error).message }, 'could not list upstream models; provider-qualified names still work');
      }
    });
  await Promise.all(jobs);
}
