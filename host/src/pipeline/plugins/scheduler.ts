/**
 * The scheduler capability: the highest-priority scheduler plugin may choose the credential
 * (or delegate to a built-in strategy). An invalid answer, an error, a timeout or no scheduler
 * at all leave the choice to the configured strategy.
 *
 * @module
 */
import type { SchedulerHook } from '../../core/conductor/shared.js';
import type { PoolMember } from '../../core/conductor/pool.js';
import type { PluginDirectory } from './directory.js';
import { dispatch } from './dispatch.js';

export function schedulerHook(plugins: PluginDirectory): SchedulerHook {
  return {
    present: () => plugins.active('scheduler').length > 0,
    async pick({ pool, ready, sessionId, stats }) {
      const providers = [...new Set(ready.map((m) => m.provider))].join(',');
      const candidates = ready.map((m) => ({
        id: m.id,
        provider: m.provider,
        label: m.credential.label,
        priority: m.priority,
        weight: m.weight,
        // Only ready credentials are offered: cooling ones are never candidates.
        status: 'active' as const,
        ...stats(m),
      }));
      // Only the highest-priority scheduler is asked.
      return dispatch(plugins.active('scheduler').slice(0, 1), {}, {
        call: (plugin, options) => plugin.call('scheduler.pick', { provider: providers, model: pool.key, sessionId, candidates }, options),
        answer: (plugin, answer): { member: PoolMember; pluginId: string } | 'round-robin' | 'fill-first' | undefined => {
          if ('credentialId' in answer) {
            const member = ready.find((m) => m.id === answer.credentialId);
            return member && { member, pluginId: plugin.id };
          }
          if ('delegate' in answer) return answer.delegate;
          return undefined;
        },
      });
    },
  };
}
