import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['host/src/**/*.test.ts', 'plugin-sdk/src/**/*.test.ts', 'plugins/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // piscina require()s a worker's module before it import()s it, and Node 20's require() of an
    // ES module (the plugin worker runtime) now and then aborts the process with a V8 fatal error
    // ("IsGraphAsync must be used on an instantiated module"): without require(esm), piscina
    // takes its import() path, as on Node before 20.19.
    execArgv: ['--no-experimental-require-module'],
  },
});
