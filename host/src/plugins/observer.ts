/**
 * The hook plugin metrics hang on: supervisors report calls, failures and fuses to a
 * {@link PluginObserver}, so they stay free of any metrics library.
 *
 * @module
 */

/** What an observer is told of: the management view's counters, plus fuses and refused calls. */
export type PluginEvent = 'calls' | 'errors' | 'timeouts' | 'crashes' | 'fuses' | 'refused';

/** Told of every plugin call and fuse. Runs on the request path (stream interceptors once per chunk): keep it cheap. */
export interface PluginObserver {
  pluginEvent(pluginId: string, event: PluginEvent): void;
  /** A call that ran finished, either way, `seconds` after it was made. */
  pluginCall(pluginId: string, method: string, seconds: number): void;
}
