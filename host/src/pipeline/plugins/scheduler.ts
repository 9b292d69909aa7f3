/**
 * The scheduler capability: the highest-priority scheduler plugin may choose the credential
 * (or delegate to a built-in strategy). An invalid answer, an error, a timeout or no scheduler
 * at all leave the choice to the configured strategy.
 *
 * @module
 */
import type { SchedulerHook } from '../../core/conductor/conductor.js';
import type { PluginDirectory } from './directory.js';

export function schedulerHook(plugins: PluginDirectory): SchedulerHook {
  return { present: () => plugins.active('scheduler').length > 0, pick };
  async function pick({ pool, ready, sessionId, stats }: Parameters<SchedulerHook['pick']>[0]) {
    const scheduler = plugins.active('scheduler')[0];
    if (!scheduler) return undefined;
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
    let answer;
    try {
      answer = await scheduler.call('scheduler.pick', { provider: providers, model: pool.key, sessionId, candidates });
    } catch {
      return undefined;
    }
    if ('credentialId' in answer) return ready.find((m) => m.id === answer.credentialId);
    if ('delegate' in answer) return answer.delegate;
    return undefined;
  }
}
