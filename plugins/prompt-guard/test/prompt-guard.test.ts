/**
 * prompt-guard through the plugin test harness: every default pattern, every client format's
 * body and error shape, reject versus redact, custom patterns, and failing closed.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HarnessError, type PluginHarness, createHarness } from '@switchyard/plugin-sdk/testing';

const PLUGIN = fileURLToPath(new URL('..', import.meta.url));

// Fake secrets, built so that no scanner flags this file as holding real ones.
const OPENAI_KEY = `sk-proj-${'A1b2C3d4'.repeat(4)}`;
const SECRETS = {
  'OpenAI API key': OPENAI_KEY,
  'Anthropic API key': `sk-ant-api03-${'x9Y8'.repeat(6)}`,
  'AWS access key id': `AKIA${'IOSFODNN7EXAMPLE'}`,
  'GitHub token': `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`,
  'Google API key': `AIza${'Sy0123456789abcdefghijklmnopqrstu'}vw`,
  'private key block': `-----BEGIN ${'RSA PRIVATE'} KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----`,
};

/** A request body holding `secret` in each client format's shape (in a place that format has). */
const BODIES = {
  openai: (secret: string) => ({
    model: 'gpt-4.1',
    messages: [
      { role: 'system', content: 'You help with deployments.' },
      { role: 'user', content: [{ type: 'text', text: `my config has ${secret} in it` }] },
    ],
  }),
  anthropic: (secret: string) => ({
    model: 'claude-sonnet-4-6',
    max_tokens: 100,
    system: [{ type: 'text', text: 'You help with deployments.' }],
    messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: `env dump: KEY=${secret}` }] }],
  }),
  gemini: (secret: string) => ({
    systemInstruction: { parts: [{ text: `Use ${secret} for the API.` }] },
    contents: [{ role: 'user', parts: [{ text: 'deploy it' }] }],
  }),
};
const FORMATS = ['openai', 'anthropic', 'gemini'] as const;

let guard: PluginHarness;
beforeAll(async () => {
  guard = await createHarness({ plugin: PLUGIN });
});
afterAll(async () => {
  await guard?.close();
});

type Reject = { reject: { status: number; body: any; headers?: Record<string, string> } };

describe('prompt-guard', () => {
  it('is a beforeAuth request interceptor', () => {
    expect(guard.registration).toMatchObject({ capabilities: ['requestInterceptor'], interceptorPhase: 'beforeAuth' });
  });

  it('lets a clean request through unchanged', async () => {
    for (const format of FORMATS) expect(await guard.interceptRequest({ sourceFormat: format, body: BODIES[format]('nothing secret') })).toBeNull();
  });

  it('rejects with 400 in each client format’s error shape, naming the pattern, never the secret', async () => {
    for (const format of FORMATS) {
      const answer = (await guard.interceptRequest({ sourceFormat: format, body: BODIES[format](OPENAI_KEY) })) as Reject;
      expect(answer.reject.status, format).toBe(400);
      expect(answer.reject.headers).toEqual({ 'x-prompt-guard': 'rejected' });
      expect(JSON.stringify(answer)).not.toContain(OPENAI_KEY);
      const message = expect.stringContaining('(OpenAI API key)');
      if (format === 'openai') expect(answer.reject.body).toEqual({ error: { message, type: 'invalid_request_error', code: 'prompt_guard' } });
      if (format === 'anthropic') expect(answer.reject.body).toEqual({ type: 'error', error: { type: 'invalid_request_error', message } });
      if (format === 'gemini') expect(answer.reject.body).toEqual({ error: { code: 400, message, status: 'INVALID_ARGUMENT' } });
    }
  });

  it('detects every default kind of secret, and names each once', async () => {
    for (const [name, secret] of Object.entries(SECRETS)) {
      const answer = (await guard.interceptRequest({ body: BODIES.openai(secret) })) as Reject;
      expect(answer?.reject?.body.error.message, name).toContain(`secret (${name})`);
    }
  });

  it('never writes the secret to the log', async () => {
    await guard.interceptRequest({ body: BODIES.openai(SECRETS['AWS access key id']) });
    // Log lines travel apart from call results: they may land just after the answer.
    await vi.waitFor(() => expect(guard.logs.at(-1)).toMatchObject({ level: 'warn', fields: { patterns: ['AWS access key id'] } }));
    expect(JSON.stringify(guard.logs)).not.toMatch(/AKIA|sk-proj|ghp_/);
  });

  it('does not mistake look-alikes for secrets', async () => {
    for (const text of ['sk-short', 'the task-list is ready', 'AKIA lower akiaabcdefghijklmnop', '-----BEGIN PUBLIC KEY-----']) {
      expect(await guard.interceptRequest({ body: BODIES.openai(text) }), text).toBeNull();
    }
  });

  describe('with action redact', () => {
    let redactor: PluginHarness;
    beforeAll(async () => {
      redactor = await createHarness({ plugin: PLUGIN, config: { action: 'redact' } });
    });
    afterAll(async () => {
      await redactor?.close();
    });

    it('replaces the matches in each format’s body and marks the request', async () => {
      for (const format of FORMATS) {
        const answer = (await redactor.interceptRequest({ sourceFormat: format, body: BODIES[format](OPENAI_KEY) })) as { body: unknown; headers: unknown };
        expect(answer.headers).toEqual({ 'x-prompt-guard': 'redacted' });
        expect(answer.body, format).toEqual(BODIES[format]('[REDACTED]'));
      }
    });

    it('removes a whole private key block, not just its first line', async () => {
      const answer = (await redactor.interceptRequest({ body: BODIES.openai(`${SECRETS['private key block']}\nthanks`) })) as { body: any };
      expect(answer.body.messages[1].content[0].text).toBe('my config has [REDACTED]\nthanks in it');
    });

    it('leaves base64 media alone', async () => {
      const data = `sk-${'A'.repeat(40)}`; // key-shaped, but inside image data
      const body = {
        messages: [
          { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }, { type: 'text', text: `key ${OPENAI_KEY}` }] },
        ],
      };
      const answer = (await redactor.interceptRequest({ sourceFormat: 'anthropic', body })) as { body: any };
      expect(answer.body.messages[0].content).toEqual([body.messages[0]!.content[0], { type: 'text', text: 'key [REDACTED]' }]);
    });

    it('returns nothing when there is nothing to redact', async () => {
      expect(await redactor.interceptRequest({ body: BODIES.openai('all clear') })).toBeNull();
    });
  });

  it('uses config.patterns instead of the defaults, and config.replacement', async () => {
    const custom = await createHarness({
      plugin: PLUGIN,
      config: { action: 'redact', replacement: '***', patterns: ['ACME-[0-9]{6}', { name: 'internal hostname', pattern: '[a-z]+\\.corp\\.example' }] },
    });
    try {
      const answer = (await custom.interceptRequest({ body: BODIES.openai(`ACME-123456 at db.corp.example, also ${OPENAI_KEY}`) })) as { body: any };
      expect(answer.body.messages[1].content[0].text).toBe(`my config has *** at ***, also ${OPENAI_KEY} in it`);
      await vi.waitFor(() => expect(custom.logs.at(-1)).toMatchObject({ fields: { patterns: ['ACME-[0-9]{6}', 'internal hostname'] } }));
    } finally {
      await custom.close();
    }
  });

  it('fails every call when misconfigured, so that failClosed turns it into a 503', async () => {
    const broken = await createHarness({ plugin: PLUGIN, config: { patterns: ['(unclosed'] } });
    try {
      const call = broken.interceptRequest({ body: BODIES.openai('anything') });
      await expect(call).rejects.toBeInstanceOf(HarnessError);
      await expect(call).rejects.toMatchObject({ kind: 'error', message: expect.stringContaining('config.patterns[0]') });
      await vi.waitFor(() => expect(broken.logs).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('misconfigured') })));
    } finally {
      await broken.close();
    }
  });
});
