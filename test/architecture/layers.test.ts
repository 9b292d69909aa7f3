/**
 * The shape of the host's code, held by its import graph (madge, type-only imports included):
 * no import cycles, and no folder imports one above it. The layers tell the story of a request
 * from the bottom up: errors and wire formats first, then config and auth, the upstreams, the
 * core (catalog, registry, conductor, state), the plugin runtime, the pipeline that ties them
 * together, metrics, the HTTP surface, the link between the processes of `serve --workers`, the
 * gateway and the CLI.
 */
import { join } from 'node:path';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** Lowest first. A module may import its own folder and any folder of a lower layer. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'log.ts', 'streams'],
  ['formats'],
  ['config'],
  ['auth'],
  ['upstream'],
  ['core'],
  ['plugins'],
  ['pipeline'],
  ['metrics'],
  ['http'],
  ['workers'],
  ['gateway.ts', 'index.ts'],
  ['cli'],
];

const layerOf = (file: string): number => {
  const top = file.split('/')[0]!;
  const layer = LAYERS.findIndex((names) => names.includes(top));
  if (layer === -1) throw new Error(`${file}: its folder ${top} has no layer; add it to LAYERS`);
  return layer;
};

async function graph(dir: string) {
  return madge(join(ROOT, dir), {
    fileExtensions: ['ts'],
    tsConfig: join(ROOT, dir, '../tsconfig.json'),
    excludeRegExp: [/\.test\.ts$/, /\.test-suite\.ts$/, /\/fixtures\//],
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
}

describe('host/src import graph', () => {
  let result: Awaited<ReturnType<typeof graph>>;
  beforeAll(async () => {
    result = await graph('host/src');
  }, 60_000);

  it('resolves every relative import', () => {
    expect(result.warnings().skipped.filter((path) => path.startsWith('.'))).toEqual([]);
    expect(Object.keys(result.obj()).length).toBeGreaterThan(50);
  });

  it('has no import cycles', () => {
    expect(result.circular()).toEqual([]);
  });

  it('has no folder importing one above it', () => {
    const upward: string[] = [];
    for (const [from, targets] of Object.entries(result.obj())) {
      // Paths outside host/src are packages (the plugin SDK).
      if (from.startsWith('..')) continue;
      for (const to of targets) if (!to.startsWith('..') && layerOf(to) > layerOf(from)) upward.push(`${from} -> ${to}`);
    }
    expect(upward).toEqual([]);
  });
});

describe('host/src static imports', () => {
  it('reach the Redis client only through the dynamic import of the Redis store: a host on the memory store does not hold its ~24 MB', async () => {
    const statics = await madge(join(ROOT, 'host/src'), {
      fileExtensions: ['ts'],
      tsConfig: join(ROOT, 'host/tsconfig.json'),
      includeNpm: true,
      excludeRegExp: [/\.test\.ts$/, /\.test-suite\.ts$/, /\/fixtures\//],
      detectiveOptions: { ts: { skipTypeImports: true, skipAsyncImports: true } },
    });
    const deps = statics.obj();
    const importsRedis = (file: string) => (deps[file] ?? []).some((to) => to.includes('node_modules/redis/'));
    expect(importsRedis('core/state/redis/connection.ts')).toBe(true);
    const reached = new Set<string>();
    const todo = ['cli/main.ts'];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (reached.has(file)) continue;
      reached.add(file);
      todo.push(...(deps[file] ?? []).filter((to) => !to.includes('node_modules/')));
    }
    expect(reached.has('gateway.ts')).toBe(true);
    expect([...reached].filter(importsRedis)).toEqual([]);
  }, 60_000);
});

describe('plugin-sdk/src import graph', () => {
  it('has no import cycles', async () => {
    expect((await graph('plugin-sdk/src')).circular()).toEqual([]);
  }, 60_000);
});
