// @ts-check
/**
 * least-inflight-scheduler: sends each request to the credential with the fewest requests in
 * flight. Round-robin spreads requests evenly by count, but not by load: when answers take very
 * different times (a 2-minute agent turn next to a 1-second title request), some keys pile up
 * concurrent calls and hit their rate limits while others sit idle. Least-in-flight evens out
 * the concurrency instead.
 *
 * Ties go to the candidate with fewer failures, then to the first in the host's order (config
 * order), so an idle gateway fills keys in order like `fill-first`.
 *
 * It keeps the host's priority tiers: only candidates of the highest priority offered are
 * considered, as the built-in strategies do, so a backup tier stays a backup.
 */

/** @typedef {import('@switchyard/plugin-sdk').SchedulerCandidate} Candidate */

/** Negative when `a` should be picked before `b`; 0 keeps the host's order (the sort is stable). */
const byLoad = (/** @type {Candidate} */ a, /** @type {Candidate} */ b) => a.inFlight - b.inFlight || a.failures - b.failures;

/** @type {import('@switchyard/plugin-sdk').PluginDefinition<unknown>} */
export default {
  scheduler(req) {
    // The host offers only ready credentials; a cooling one would just fail, so it never counts.
    const ready = req.candidates.filter((c) => c.status !== 'cooling');
    if (ready.length === 0) return { handled: false };
    const top = Math.max(...ready.map((c) => c.priority));
    const [best] = ready.filter((c) => c.priority === top).sort(byLoad);
    return best ? { credentialId: best.id } : { handled: false };
  },
};
