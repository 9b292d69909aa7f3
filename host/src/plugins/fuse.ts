/**
 * The fuse policy of one plugin, as a pure state machine over explicit times, so every rule
 * can be tested without timers (CONTRACT section 6): a fused plugin restarts after
 * `restartDelay`, doubling per consecutive fuse up to 30 minutes; three fuses within ten
 * minutes keep it fused until {@link FusePolicy.reset}.
 *
 * @module
 */

/** The window in which fuses are counted, and the active period that forgives earlier fuses. */
export const FUSE_WINDOW_MS = 10 * 60_000;
/** Fuses within {@link FUSE_WINDOW_MS} after which the plugin is no longer restarted automatically. */
export const MAX_FUSES_IN_WINDOW = 3;
/** Upper bound of the doubling restart delay. */
export const MAX_RESTART_DELAY_MS = 30 * 60_000;

/** What the policy decides when a plugin fuses. */
export interface FuseDecision {
  /** Consecutive fuses, this one included (1 for the first since the last reset or success). */
  consecutive: number;
  /** When to restart (epoch ms), or null: stay fused until reset. */
  restartAt: number | null;
}

/** Fuse history and restart schedule of one plugin. */
export class FusePolicy {
  /** Fuse times inside the window, oldest first. */
  private recent: number[] = [];
  private consecutive = 0;
  private activeSince: number | null = null;

  /** Records that the plugin became active at `at` (a successful start). */
  activated(at: number): void {
    this.activeSince = at;
  }

  /** Records a fuse at `at` and decides when, if ever, the plugin restarts by itself. */
  fuse(at: number, restartDelay: number): FuseDecision {
    // A plugin that ran longer than the window has proven itself: its next fuse starts the
    // doubling over instead of punishing it for an old incident.
    if (this.activeSince !== null && at - this.activeSince > FUSE_WINDOW_MS) this.consecutive = 0;
    this.activeSince = null;
    this.recent = this.recent.filter((t) => at - t < FUSE_WINDOW_MS);
    this.recent.push(at);
    this.consecutive += 1;
    if (this.recent.length >= MAX_FUSES_IN_WINDOW) return { consecutive: this.consecutive, restartAt: null };
    const delay = Math.min(restartDelay * 2 ** (this.consecutive - 1), MAX_RESTART_DELAY_MS);
    return { consecutive: this.consecutive, restartAt: at + delay };
  }

  /** Forgets every fuse (management reset, config change, changed files). */
  reset(): void {
    this.recent = [];
    this.consecutive = 0;
    this.activeSince = null;
  }
}
