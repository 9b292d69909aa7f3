import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IRMessage, IRRequest } from '../../formats/ir.js';
import { extractSessionId } from './affinity.js';

const SESSION = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
const LEGACY_USER_ID = `user_${'ab12'.repeat(16)}_account_0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d_session_${SESSION}`;

function user(text: string): IRMessage {
  return { role: 'user', content: [{ type: 'text', text }] };
}
function assistant(text: string): IRMessage {
  return { role: 'assistant', content: [{ type: 'text', text }] };
}
function request(messages: IRMessage[], system?: string, userId?: string): IRRequest {
  return {
    model: 'm',
    messages,
    stream: false,
    ...(system === undefined ? {} : { system }),
    ...(userId === undefined ? {} : { user: userId }),
  };
}

/** The opening hash done the obvious way: a SHA-256 of the length-prefixed system text and the first user text. */
function referenceHash([system, first]: [string, string]): string {
  const s = system.slice(0, 100);
  return `msg:${createHash('sha256').update(Buffer.from(`${s.length}:${s}${first.slice(0, 100)}`, 'utf8')).digest('hex').slice(0, 16)}`;
}

describe('extractSessionId: priority', () => {
  // As the Anthropic decoder leaves them: `metadata.user_id` in the body and in the IR's `user`.
  const all = {
    headers: { 'x-session-id': 'h-1' },
    body: { metadata: { user_id: LEGACY_USER_ID }, conversation_id: 'c-1' },
    request: request([user('hello')], 'be brief', LEGACY_USER_ID),
  };
  const plain = {
    body: { metadata: { user_id: 'u-1' }, conversation_id: 'c-1' },
    request: request([user('hello')], 'be brief', 'u-1'),
  };
  const anonymous = request([user('hello')], 'be brief');

  it.each([
    ['Claude Code user_id over everything', all.headers, all.body, all.request, `claude:${SESSION}`],
    ['x-session-id over a plain user_id', all.headers, plain.body, plain.request, 'header:h-1'],
    ['a plain user_id over conversation_id', {}, plain.body, plain.request, 'user:u-1'],
    ['conversation_id over the hash', {}, { conversation_id: 'c-1' }, anonymous, 'conv:c-1'],
    ['the hash when no id is given', {}, {}, anonymous, referenceHash(['be brief', 'hello'])],
  ])('%s', (_name, headers, body, req, expected) => {
    expect(extractSessionId(headers, body, req)).toBe(expected);
  });

  it('reads an OpenAI-style user from the IR, with no metadata in the body', () => {
    const req = request([user('hello')], 'be brief', 'u-openai');
    expect(extractSessionId({}, { user: 'u-openai', conversation_id: 'c-1' }, req)).toBe('user:u-openai');
  });

  it('reads the JSON user_id of newer Claude Code', () => {
    const userId = JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '', session_id: SESSION });
    expect(extractSessionId(all.headers, { metadata: { user_id: userId } }, all.request)).toBe(`claude:${SESSION}`);
  });

  it('reads a legacy user_id with an empty account', () => {
    const userId = `user_${'0f'.repeat(32)}_account__session_${SESSION}`;
    expect(extractSessionId({}, { metadata: { user_id: userId } }, all.request)).toBe(`claude:${SESSION}`);
  });

  it('takes the first value of a repeated header', () => {
    expect(extractSessionId({ 'x-session-id': ['h-1', 'h-2'] }, {}, all.request)).toBe('header:h-1');
  });
});

describe('extractSessionId: invalid ids fall through to the next source', () => {
  const req = request([user('hello')]);

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(257)],
    ['non-ASCII', 'séance'],
    ['control characters', 'a\nb'],
  ])('skips a %s header', (_name, bad) => {
    expect(extractSessionId({ 'x-session-id': bad }, { conversation_id: 'c-1' }, req)).toBe('conv:c-1');
  });

  it('accepts 256 printable characters', () => {
    const id = '~'.repeat(256);
    expect(extractSessionId({ 'x-session-id': id }, {}, req)).toBe(`header:${id}`);
  });

  /** The request as the Anthropic decoder leaves it: the user_id also in the IR's `user`. */
  function withUser(userId: string): IRRequest {
    return request([user('hello')], undefined, userId);
  }

  it('skips a JSON user_id whose session_id is unusable, but keeps it as a plain user id', () => {
    for (const session_id of ['', 42, null]) {
      const userId = JSON.stringify({ session_id });
      expect(extractSessionId({}, { metadata: { user_id: userId } }, withUser(userId))).toBe(`user:${userId}`);
    }
    expect(extractSessionId({}, { metadata: { user_id: '{not json' } }, withUser('{not json'))).toBe('user:{not json');
  });

  it('skips a malformed Claude Code user_id as a Claude session', () => {
    const userId = `user_zz_account__session_${SESSION}`;
    const body = { metadata: { user_id: userId } };
    expect(extractSessionId({ 'x-session-id': 'h-1' }, body, withUser(userId))).toBe('header:h-1');
    expect(extractSessionId({}, body, withUser(userId))).toBe(`user:${userId}`);
  });

  it('skips non-string and invalid user ids and conversation_id', () => {
    expect(extractSessionId({}, { metadata: { user_id: 42 }, conversation_id: 'c-1' }, req)).toBe('conv:c-1');
    expect(extractSessionId({}, { metadata: 'u-1', conversation_id: 'c-1' }, req)).toBe('conv:c-1');
    expect(extractSessionId({}, { metadata: { user_id: 'ü' }, conversation_id: ['c'] }, withUser('ü'))).toBe(referenceHash(['', 'hello']));
    expect(extractSessionId({}, { conversation_id: 'c-1' }, withUser('x'.repeat(257)))).toBe('conv:c-1');
  });

  it('takes the plain user id from the IR only, not from the body', () => {
    expect(extractSessionId({}, { metadata: { user_id: 'u-1' }, conversation_id: 'c-1' }, req)).toBe('conv:c-1');
  });
});

describe('extractSessionId: opening hash', () => {
  const system = 'You are a helpful assistant.';
  const turn1 = request([user('Plan a trip to Kyoto')], system);
  const turn2 = request([...turn1.messages, assistant('Sure: when?'), user('In April')], system);
  const turn3 = request([...turn2.messages, assistant('Here is a plan'), user('Cheaper, please')], system);

  it('is a SHA-256 of system and first user text', () => {
    expect(extractSessionId({}, {}, turn2)).toBe(referenceHash([system, 'Plan a trip to Kyoto']));
  });

  it('is the same for turn 1, turn 2 and turn 3 of one conversation', () => {
    const hash = referenceHash([system, 'Plan a trip to Kyoto']);
    expect(extractSessionId({}, {}, turn1)).toBe(hash);
    expect(extractSessionId({}, {}, turn2)).toBe(hash);
    expect(extractSessionId({}, {}, turn3)).toBe(hash);
  });

  it('differs across conversations', () => {
    const hashes = new Set([
      extractSessionId({}, {}, turn2),
      extractSessionId({}, {}, request(turn2.messages, 'Another system')),
      extractSessionId({}, {}, request([user('Plan a trip to Osaka'), ...turn2.messages.slice(1)], system)),
    ]);
    expect(hashes.size).toBe(3);
  });

  it('separates fields, so moving text between them changes the hash', () => {
    const a = extractSessionId({}, {}, request([user('bc')], 'a'));
    const b = extractSessionId({}, {}, request([user('c')], 'ab'));
    expect(a).not.toBe(b);
  });

  it('reads only the first 100 characters of each text, across text parts', () => {
    const long = 'x'.repeat(100);
    const parts: IRMessage = {
      role: 'user',
      content: [{ type: 'text', text: 'x'.repeat(60) }, { type: 'image', source: { kind: 'url', url: 'u' } }, { type: 'text', text: 'x'.repeat(60) }],
    };
    const expected = referenceHash([long, long]);
    expect(extractSessionId({}, {}, request([user(`${long}tail`)], `${long}more`))).toBe(expected);
    expect(extractSessionId({}, {}, request([parts], long))).toBe(expected);
  });

  it('encodes non-ASCII text as UTF-8, unpaired surrogates included', () => {
    const text = `héllo – 日本 😀 ${'\ud83d'}!`;
    const cut = `${'a'.repeat(99)}😀`; // the cut at 100 splits the pair
    expect(extractSessionId({}, {}, request([user(text)], cut))).toBe(referenceHash([cut, text]));
  });

  it('is undefined when there is no text at all', () => {
    expect(extractSessionId({}, {}, request([]))).toBeUndefined();
    expect(extractSessionId({}, {}, request([{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'u' } }] }], ''))).toBeUndefined();
  });
});
