/**
 * The auth of a credential whose secret expires (an OAuth access token, a service account's
 * minted token): what the upstream sends is asked for per call instead of fixed at build time.
 * The core's refresher implements it; the HTTP upstream only asks.
 *
 * @module
 */

export interface TokenSource {
  /**
   * The auth headers to send now. Waits for a refresh in flight (or starts one when the token in
   * hand has expired); rejects with an `UpstreamError` when none can be had.
   */
  headers(signal: AbortSignal): Promise<Record<string, string>>;
  /**
   * The upstream refused `used` (a 401): refresh now, once however many calls were refused with
   * it, unless a newer token is already in hand.
   */
  refused(used: Record<string, string>, signal: AbortSignal): Promise<void>;
  /** Why the credential cannot serve now (its token expired and the refresh failed), if so. */
  unavailable(now: number): string | undefined;
  /** Replaces every token and secret this credential ever had with `[redacted]`. */
  redact(text: string): string;
}
