/**
 * What a plugin template provides; the files common to every template are built in `index.ts`.
 *
 * @module
 */
import type { Capability } from '@switchyard/plugin-sdk';

/** One config key, as the README's table shows it: name, type, default, meaning. */
export type ConfigKey = [key: string, type: string, defaultValue: string, meaning: string];

/** The capability-specific part of a scaffolded plugin package. */
export interface PluginTemplate {
  /** The capability the plugin defines. */
  capability: Capability;
  /** What the plugin does, completing "A Switchyard plugin that ...". */
  summary: string;
  /** The keys of its config item's `config`. */
  config(name: string): ConfigKey[];
  /** A `config` value for the README's example, in YAML flow style. */
  exampleConfig: string;
  /** The text of `index.js`. */
  index(name: string): string;
  /** The text of `test/plugin.test.js`; the tests pass as generated. */
  test(name: string): string;
}
