/**
 * The built `switchyard` command in temp dirs: scaffolds one plugin per capability and proves
 * each passes `plugins check`, its own generated tests and loads as active in a real gateway;
 * then the failures `plugins check` reports and the rows `plugins list` shows.
 */
import { execFile, execSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PROTOCOL_VERSION } from '@switchyard/plugin-sdk';
import { Gateway, createLogger } from '../index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const sdkDir = join(repoRoot, 'plugin-sdk');
const capabilities = { router: 'modelRouter', executor: 'executor', interceptor: 'requestInterceptor', scheduler: 'scheduler' } as const;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` to completion, never throwing on a non-zero exit. */
function exec(file: string, args: string[], cwd = repoRoot): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const switchyard = (...args: string[]) => exec(process.execPath, [join(repoRoot, 'host/dist/cli/main.js'), ...args]);

let root: string;
/** Where new-plugin puts the four scaffolded plugins; a gateway loads it as its plugins dir. */
let generated: string;

beforeAll(async () => {
  // The command under test is the built one, and the plugins' tests need the SDK's dist.
  execSync('npx tsc -b', { cwd: repoRoot, stdio: 'pipe' });
  root = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  generated = join(root, 'generated');
  await mkdir(generated);
});
afterAll(() => rm(root, { recursive: true, force: true }));

// Each test spawns several processes (scaffold, check, the package's own tests): slow on a loaded 2-core box.
describe('switchyard new-plugin', { timeout: 60_000 }, () => {
  it.each(Object.entries(capabilities))('scaffolds a %s plugin that passes plugins check and its own tests', async (capability, key) => {
    const name = `my-${capability}`;
    const dir = join(generated, name);
    const created = await switchyard('new-plugin', name, '--capability', capability, '--dir', generated);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('Next steps');
    expect((await readdir(dir)).sort()).toEqual(['README.md', 'index.js', 'package.json', 'test']);
    expect(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))).toMatchObject({
      name,
      version: '0.1.0',
      type: 'module',
      main: 'index.js',
      switchyard: { id: name, protocol: `^${PROTOCOL_VERSION.split('.')[0]}.0.0` },
      scripts: { test: 'node --test' },
      devDependencies: { '@switchyard/plugin-sdk': `file:${sdkDir}` },
    });

    const check = await switchyard('plugins', 'check', dir);
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(check.stdout).toContain(`ok: plugin ${name} 0.1.0 would load as active`);
    expect(check.stdout).toMatch(new RegExp(`capabilities +${key}\\n`));

    // What `npm install` makes of the file: dependency: a link to the SDK folder.
    await mkdir(join(dir, 'node_modules/@switchyard'), { recursive: true });
    await symlink(sdkDir, join(dir, 'node_modules/@switchyard/plugin-sdk'), 'dir');
    const test = await exec(process.execPath, ['--test'], dir);
    expect(test.stdout).toMatch(/# fail 0/);
    expect(test.code).toBe(0);

    // Its JSDoc types hold against the SDK's, so an editor checking the JS shows no error.
    const tsc = [join(repoRoot, 'node_modules/typescript/bin/tsc'), '--noEmit', '--allowJs', '--checkJs', '--strict', '--target', 'es2023'];
    const types = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(repoRoot, 'node_modules/@types')];
    expect(await exec(process.execPath, [...tsc, ...types, 'index.js'], dir)).toMatchObject({ code: 0, stdout: '' });
  });

  it('shows executor and interceptor details in plugins check', async () => {
    expect((await switchyard('plugins', 'check', join(generated, 'my-executor'))).stdout).toContain('executor      provider my-executor (openai), models: my-executor');
    expect((await switchyard('plugins', 'check', join(generated, 'my-interceptor'))).stdout).toContain('interceptor   phase beforeAuth');
  });

  it('makes plugins a gateway loads as active from their parent folder, and serves the executor', async () => {
    const configFile = join(root, 'gateway.yaml');
    await writeFile(configFile, stringify({ port: 0, managementKey: 'mgmt', plugins: { dir: generated } }));
    const gateway = await Gateway.start({ file: configFile, env: {}, watch: false, logger: createLogger('silent') });
    try {
      const res = await fetch(`${gateway.url}/v0/management/plugins`, { headers: { authorization: 'Bearer mgmt' } });
      const listed = (await res.json()) as { id: string; state: string; capabilities: string[] }[];
      expect(listed.map(({ id, state, capabilities: caps }) => ({ id, state, caps }))).toEqual(
        Object.entries(capabilities).map(([capability, key]) => ({ id: `my-${capability}`, state: 'active', caps: [key] })).sort((a, b) => a.id.localeCompare(b.id)),
      );
      const chat = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'my-executor', messages: [{ role: 'user', content: 'hello gateway' }] }),
      });
      expect(((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('echo: hello gateway');
    } finally {
      await gateway.close();
    }
  });

  it('refuses a name that is not a plugin id', async () => {
    const run = await switchyard('new-plugin', 'My_Plugin', '--capability', 'router', '--dir', root);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"My_Plugin" is not a valid plugin id');
    expect(await readdir(root)).not.toContain('My_Plugin');
  });

  it('refuses an unknown capability', async () => {
    const run = await switchyard('new-plugin', 'x', '--capability', 'logger', '--dir', root);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('--capability must be one of router, executor, interceptor, scheduler') });
  });

  it('refuses an existing folder that is not empty, writing nothing', async () => {
    const dir = join(root, 'taken');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const run = await switchyard('new-plugin', 'taken', '--capability', 'router', '--dir', root);
    expect(run).toMatchObject({ code: 1, stderr: expect.stringContaining(`${dir} already exists and is not empty`) });
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });
});

/** Writes a plugin package into `dir`: its package.json fields over a valid router's, and `index`. */
async function writePlugin(dir: string, pkg: Record<string, unknown>, index = 'export default { modelRouter: () => ({ handled: false }) };\n') {
  await mkdir(dir, { recursive: true });
  const base = { name: pkg.name, version: '1.0.0', type: 'module', main: 'index.js', switchyard: { protocol: '^1.0.0' } };
  await writeFile(join(dir, 'package.json'), JSON.stringify({ ...base, ...pkg }));
  await writeFile(join(dir, 'index.js'), index);
}

describe('switchyard plugins check and list', { timeout: 60_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(root, 'mixed');
    await writePlugin(join(dir, 'a-good'), { name: 'good' });
    await writePlugin(join(dir, 'b-future'), { name: 'future', switchyard: { protocol: '^2.0.0' } });
    await writePlugin(join(dir, 'c-setup-throws'), { name: 'setup-throws' }, "export default { setup() { throw new Error('missing api key'); }, scheduler: () => ({ handled: false }) };\n");
    await writePlugin(join(dir, 'd-off'), { name: 'off' });
    await writePlugin(join(dir, 'e-bad-definition'), { name: 'bad-definition' }, "export default { modelRouter: 'not a function' };\n");
    await mkdir(join(dir, 'f-notes'));
    await writeFile(join(root, 'mixed.yaml'), stringify({ plugins: { dir, items: { good: { priority: 7, threads: 2 }, off: { enabled: false } } } }));
  });

  it('fails with exit 1 and the reason for a protocol range the host does not satisfy', async () => {
    const run = await switchyard('plugins', 'check', join(dir, 'b-future'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`plugin future 1.0.0 would not load: rejected: switchyard.protocol "^2.0.0" does not accept the host protocol version ${PROTOCOL_VERSION}`);
  });

  it('fails with exit 1 and the reason for a setup that throws and for a bad definition', async () => {
    expect(await switchyard('plugins', 'check', join(dir, 'c-setup-throws'))).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('plugin setup-throws 1.0.0 would not load: start failed: missing api key'),
    });
    expect(await switchyard('plugins', 'check', join(dir, 'e-bad-definition'))).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('invalid plugin definition: at modelRouter: expected a function'),
    });
  });

  it('fails with exit 1 for a folder that is not a plugin package', async () => {
    expect(await switchyard('plugins', 'check', join(dir, 'f-notes'))).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a plugin package: no package.json') });
  });

  it('lists every folder of the plugins dir with the state it would get', async () => {
    const run = await switchyard('plugins', 'list', '--config', join(root, 'mixed.yaml'));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const rows = run.stdout.trim().split('\n').slice(1).map((line) => line.split(/ {2,}/));
    expect(rows).toEqual([
      ['ID', 'VERSION', 'PRIORITY', 'THREADS', 'CAPABILITIES', 'STATE'],
      ['good', '1.0.0', '7', '2', 'modelRouter', 'active'],
      ['future', '1.0.0', '0', '1', '-', `rejected (switchyard.protocol "^2.0.0" does not accept the host protocol version ${PROTOCOL_VERSION})`],
      ['setup-throws', '1.0.0', '0', '1', '-', 'fused (start failed: missing api key)'],
      ['off', '1.0.0', '0', '1', '-', 'disabled'],
      ['bad-definition', '1.0.0', '0', '1', '-', expect.stringMatching(/^fused \(start failed: .*invalid plugin definition/)],
      ['f-notes', '-', '-', '-', '-', 'skipped (no package.json)'],
    ]);
  });
});
