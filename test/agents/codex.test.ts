/**
 * Codex CLI (`@openai/codex`, the Responses API only) run headless through Switchyard, as a new
 * user would configure it (`wire_api = "responses"`): a tool loop (the model calls one of
 * Codex's tools, Codex answers with the tool's output, the model answers) into an OpenAI Chat
 * upstream and into an Anthropic upstream.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEY, type TestHost, mockProviders, startHost } from '../helpers/host.js';
import { type MockUpstream, startMockUpstream } from '../mock-upstream/index.js';

const CODEX = createRequire(import.meta.url).resolve('@openai/codex/bin/codex.js');

let mock: MockUpstream;
let host: TestHost;
const dirs: string[] = [];
beforeAll(async () => {
  mock = await startMockUpstream();
  host = await startHost({ providers: mockProviders(mock) });
});
afterAll(async () => {
  await host?.close();
  await mock?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** `codex exec PROMPT` with a config naming Switchyard as its model provider. */
async function codex(model: string, prompt: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'switchyard-codex-home-'));
  const work = await mkdtemp(join(tmpdir(), 'switchyard-codex-work-'));
  dirs.push(home, work);
  // The README's snippet, with the test host's address.
  await writeFile(
    join(home, 'config.toml'),
    `model = "${model}"\nmodel_provider = "switchyard"\n\n[model_providers.switchyard]\nname = "Switchyard"\nbase_url = "${host.url}/v1"\nenv_key = "SWITCHYARD_API_KEY"\nwire_api = "responses"\n`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CODEX, 'exec', '--skip-git-repo-check', '-c', 'approval_policy="never"', '--sandbox', 'read-only', prompt], {
      cwd: work,
      env: { ...process.env, CODEX_HOME: home, SWITCHYARD_API_KEY: CLIENT_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each([
  ['gpt-4.1', '/openai/v1/chat/completions'],
  ['claude-sonnet-4-6', '/anthropic/v1/messages'],
])('Codex CLI into %s', (model, path) => {
  it('runs a tool loop to a final answer', async () => {
    mock.reset();
    const { code, stdout, stderr } = await codex(model, 'list the files here');
    expect(code, stderr).toBe(0);
    // The mock's model called Codex's first tool; Codex answered with its output; the model echoed that.
    expect(stdout).toContain('tool result:');
    expect(mock.requests.map((r) => r.path)).toEqual([path, path]);
    expect(mock.requests[0]!.body.tools.length).toBeGreaterThan(0);
    const second = JSON.stringify(mock.requests[1]!.body);
    expect(second).toMatch(model.startsWith('claude') ? /"tool_result"/ : /"role":"tool"/);
  }, 60_000);
});
