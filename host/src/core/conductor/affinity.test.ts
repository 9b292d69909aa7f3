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

/** The id of a request that carries no id at all: its opening hash. */
function opening(req: IRRequest): string | undefined {
  return extractSessionId({}, {}, req);
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
    ['the hash when no id is given', {}, {}, anonymous, expect.stringMatching(/^msg:[0-9a-f]{16}$/)],
  ])('%s', (_name, headers, body, req, expected) => {
    expect(extractSessionId(headers, body, req)).toEqual(expected);
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
    expect(extractSessionId({}, { metadata: { user_id: 'ü' }, conversation_id: ['c'] }, withUser('ü'))).toBe(opening(req));
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

  it('is msg: and 16 hex digits', () => {
    expect(opening(turn1)).toMatch(/^msg:[0-9a-f]{16}$/);
  });

  it('is the same for turn 1, turn 2 and turn 3 of one conversation', () => {
    expect(opening(turn2)).toBe(opening(turn1));
    expect(opening(turn3)).toBe(opening(turn1));
  });

  it('differs across conversations', () => {
    const hashes = new Set([
      opening(turn2),
      opening(request(turn2.messages, 'Another system')),
      opening(request([user('Plan a trip to Osaka'), ...turn2.messages.slice(1)], system)),
      opening(request(turn2.messages)),
    ]);
    expect(hashes.size).toBe(4);
  });

  it('separates the fields, so moving text between them changes the hash', () => {
    expect(opening(request([user('c')], 'ab'))).not.toBe(opening(request([user('bc')], 'a')));
    expect(opening(request([user('')], 'ab'))).not.toBe(opening(request([user('ab')], '')));
  });

  it('reads only the first 100 characters of each text, across text parts', () => {
    const long = 'x'.repeat(100);
    const parts: IRMessage = {
      role: 'user',
      content: [{ type: 'text', text: 'x'.repeat(60) }, { type: 'image', source: { kind: 'url', url: 'u' } }, { type: 'text', text: 'x'.repeat(60) }],
    };
    const expected = opening(request([user(long)], long));
    expect(opening(request([user(`${long}tail`)], `${long}more`))).toBe(expected);
    expect(opening(request([parts], long))).toBe(expected);
    expect(opening(request([user(`${'x'.repeat(99)}y`)], long))).not.toBe(expected);
  });

  it('hashes non-ASCII text by its characters, a surrogate pair cut at 100 included', () => {
    expect(opening(request([user('héllo – 日本')]))).not.toBe(opening(request([user('hello – 日本')])));
    // U+1F600 and U+1F603 share their high surrogate: cut after it, they are the same 100 characters.
    const a = 'a'.repeat(99);
    expect(opening(request([user('hi')], `${a}😀`))).toBe(opening(request([user('hi')], `${a}😃`)));
    expect(opening(request([user(`lone ${'\ud83d'}!`)]))).toMatch(/^msg:[0-9a-f]{16}$/);
  });

  it('is undefined when there is no text at all', () => {
    expect(extractSessionId({}, {}, request([]))).toBeUndefined();
    expect(extractSessionId({}, {}, request([{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'u' } }] }], ''))).toBeUndefined();
  });
});
