import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['host/src/**/*.test.ts', 'plugin-sdk/src/**/*.test.ts', 'plugins/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
