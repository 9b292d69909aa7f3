/**
 * The shapes of the management API's answers as the console reads them (CONTRACT section 4).
 * Optional fields are the ones a host may leave out; the pages show a dash for them.
 *
 * @module
 */

export type CredentialStatus = 'active' | 'cooling' | 'unavailable' | 'disabled';

export interface ModelState {
  status: 'active' | 'cooling' | 'disabled';
  reason?: string;
  nextRetryAt?: string;
}

export interface Credential {
  id: string;
  provider: string;
  label?: string;
  priority?: number;
  status: CredentialStatus;
  reason?: string;
  nextRetryAt?: string;
  models: Record<string, ModelState>;
  successes: number;
  failures: number;
  inFlight?: number;
  lastError?: string | { message?: string; status?: number; at?: string };
}

export interface ModelView {
  model: string;
  providers: Record<string, number>;
  count: number;
  available: number;
  quotaExceeded: string[];
  suspended: Record<string, string>;
}

export interface PluginSnapshot {
  id: string;
  version?: string;
  path?: string;
  priority?: number;
  threads?: number;
  capabilities: string[];
  state: 'active' | 'fused' | 'disabled' | 'rejected' | string;
  reason?: string;
  fusedAt?: string;
  nextRestartAt?: string;
  calls: number;
  errors: number;
  timeouts: number;
  crashes: number;
}

export type SkipReason = 'cooling' | 'excluded' | 'lower-tier' | 'unavailable' | 'deadline';

export interface CandidateCredential {
  id: string;
  status: string;
  nextRetryAt?: string;
  reason?: string;
}

export interface Candidate {
  provider: string;
  model: string;
  skipped?: { reason: SkipReason | string; until?: string };
  /** Explain lists every credential; a trace lists those not active and counts the active ones here. */
  credentials?: CandidateCredential[];
  active?: number;
}

export interface PluginVerdict {
  plugin: string;
  stage: string;
  verdict: string;
  ms: number;
}

export interface TraceAttempt {
  provider: string;
  model: string;
  credential: string;
  status: number;
  reason: string;
  ms: number;
  cooldownUntil?: string;
}

export interface RequestTrace {
  id: string;
  parentId?: string;
  time: string;
  client: string;
  endpoint?: string;
  format?: string;
  model?: string;
  stream?: boolean;
  status: number;
  ms: number;
  provider?: string;
  upstreamModel?: string;
  credential?: string;
  router?: string;
  plugins?: PluginVerdict[];
  candidates?: Candidate[];
  picked?: { credential: string; why: string };
  attempts?: TraceAttempt[];
  fallbackHops?: number;
  dropped?: string[];
  /** The tokens the answer reported. */
  usage?: { inputTokens: number; outputTokens: number; cachedInputTokens?: number };
  /** Request and answer bodies, when the host's `logging.bodies` keeps them (secrets redacted). */
  bodies?: { request?: string; response?: string; truncated?: true };
  timings?: { hostMs?: number; upstreamMs?: number; ttftMs?: number };
}

export interface RequestPage {
  items: RequestTrace[];
  nextCursor: string | null;
}

/** One `request` event of the live stream: a request that just ended. */
export interface RequestEvent {
  id: string;
  time: string;
  client: string;
  model?: string;
  provider?: string;
  credential?: string;
  status: number;
  ms: number;
}

export interface CredentialEvent {
  id: string;
  provider: string;
  model?: string;
  status: string;
  change: string;
  reason?: string;
  nextRetryAt?: string;
}

export interface PluginEvent {
  id: string;
  state: string;
  change: string;
}

export interface UsageBucket {
  /** RFC 3339 or epoch ms: the minute's start. */
  minute: string | number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  errors: number;
}

export interface UsageGroup {
  key: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  errors: number;
  buckets: UsageBucket[];
}

export interface UsageAnswer {
  from: string | number;
  to: string | number;
  groupBy: string;
  groups: UsageGroup[];
}

export interface ExplainPlan {
  routers: PluginVerdict[];
  router?: string;
  chain: Candidate[];
  picked: { provider: string; model: string; credential: string; why?: string } | null;
}

export interface ConfigView {
  path: string | null;
  config: Record<string, unknown>;
}

export type ValidateAnswer = { valid: true } | { valid: false; error: string };
