/**
 * An attempt's share of the request's deadline: while another candidate remains it gets half of
 * what is left, so a slow one is cut in time for a fast fallback to answer; the last one gets all
 * of it. The cut is the attempt's own signal; the request's still ends it too.
 *
 * @module
 */

/** Attempt budgets this long or longer need no timer of their own: the upstream timeouts come first. */
const UNCUT_BUDGET_MS = 300_000;

export interface AttemptPlan {
  /** The request's signal, and aborted (`cut`) once `budget` ms pass. */
  signal: AbortSignal;
  cut: AbortSignal;
  budget: number;
  /** Stops the timer when the attempt ends (a stream's first event): the stream then lives on. */
  done(): void;
}

/** The plan of one attempt with `remaining` ms to the deadline; undefined when no cut is needed. */
export function planAttempt(request: AbortSignal, remaining: number, others: boolean): AttemptPlan | undefined {
  const budget = others ? remaining / 2 : remaining;
  if (budget >= UNCUT_BUDGET_MS) return undefined;
  const cut = new AbortController();
  const either = new AbortController();
  // Linked by a listener, not `AbortSignal.any`: the request's signal may be the host's own
  // (http/request-signal.ts), which `any` cannot follow. The link outlives `done`, as the
  // attempt's stream does.
  if (request.aborted) either.abort(request.reason);
  else request.addEventListener('abort', () => either.abort(request.reason), { once: true });
  const timer = setTimeout(() => {
    const reason = new Error(`cut by the deadline plan after ${Math.round(budget)} ms`);
    cut.abort(reason);
    either.abort(reason);
  }, Math.max(0, budget));
  return { signal: either.signal, cut: cut.signal, budget, done: () => clearTimeout(timer) };
}
