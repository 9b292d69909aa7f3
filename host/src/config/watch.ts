/**
 * Watches the config file: a valid change is handed to `onChange`, an invalid one is reported
 * to `onError` and ignored, so the running config stays.
 *
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type LoadOptions, type LoadedConfig, loadConfig } from './load.js';

export interface ConfigWatcher {
  close(): void;
}

/**
 * Watches the folder rather than the file because editors save by renaming a new file over
 * the old one, which ends a watch on the file itself. Bursts of events are debounced.
 */
export function watchConfig(
  current: LoadedConfig & { file: string },
  options: LoadOptions,
  onChange: (loaded: LoadedConfig) => void,
  onError: (err: Error) => void,
  debounceMs = 100,
): ConfigWatcher {
  const { file } = current;
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let last = JSON.stringify(current.config);
  const watcher: FSWatcher = watch(dirname(file), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  });
  watcher.on('error', onError);

  function reload(): void {
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig({ ...options, file });
    } catch (err) {
      onError(err as Error);
      return;
    }
    // Saving the same content twice (or a touch) is not a change.
    const fingerprint = JSON.stringify(loaded.config);
    if (fingerprint === last) return;
    last = fingerprint;
    onChange(loaded);
  }

  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
