import { readdirSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { responsesConversation } from '../../formats/openai-responses/conversation.js';
import type { StoredResponse } from './conversations.js';
import { FileConversationStore } from './file-conversations.js';
import { ResponseLog } from './response-log.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function folder() {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-conv-'));
  dirs.push(dir);
  return dir;
}
const entry = (id: string, expiresAt: number, owner = 'key:abcd1234'): StoredResponse => ({
  id,
  owner,
  expiresAt,
  input: [{ role: 'user', content: id }],
  output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `answer ${id}` }] }],
  response: { id, object: 'response' },
});

describe('FileConversationStore', () => {
  it('keeps responses until they expire, and forgets deleted ones', async () => {
    let now = 1000;
    const store = await FileConversationStore.open({ now: () => now });
    store.put(entry('resp_a', 5000));
    expect((await store.get('resp_a'))?.output).toHaveLength(1);
    now = 5000;
    expect(await store.get('resp_a')).toBeUndefined();
    store.put(entry('resp_b', 9000));
    expect(await store.delete('resp_b')).toBe(true);
    expect(await store.get('resp_b')).toBeUndefined();
    expect(await store.delete('resp_b')).toBe(false);
  });

  it('survives a restart through its folder, reads back what left memory, and removes a segment once all of it expired', async () => {
    const dir = await folder();
    let now = 1000;
    const first = await FileConversationStore.open({ dir, memoryBytes: 2048, now: () => now });
    for (const id of ['resp_1', 'resp_2', 'resp_3']) first.put(entry(id, id === 'resp_1' ? 2000 : 10_000));
    // resp_1 left memory; its line answers.
    expect((await first.get('resp_1'))?.id).toBe('resp_1');
    await first.close();
    now = 3000;
    const second = await FileConversationStore.open({ dir, now: () => now });
    expect(await second.get('resp_1')).toBeUndefined();
    expect(await second.get('resp_3')).toEqual(entry('resp_3', 10_000));
    await second.close();
    expect(await segments(dir)).toHaveLength(1);
    now = 10_000;
    const third = await FileConversationStore.open({ dir, now: () => now });
    expect(await third.get('resp_2')).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes the answers of one turn together: readable before they are written, and a deleted one is never written', async () => {
    const dir = await folder();
    const store = await FileConversationStore.open({ dir, memoryBytes: 1024 });
    for (const id of ['resp_x', 'resp_y', 'resp_z']) store.put(entry(id, Date.now() + 60_000));
    // Nothing is written before the turn ends; resp_x left memory and the store still answers for it.
    expect(readdirSync(dir)).toEqual([]);
    const [kept, deleted] = [store.get('resp_x'), store.delete('resp_y')];
    expect(readdirSync(dir)).toEqual([]);
    expect((await kept)?.id).toBe('resp_x');
    expect(await deleted).toBe(true);
    await store.close();
    const [segment] = await segments(dir);
    const ids = segment!.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toEqual(['resp_x', 'resp_z']);
  });

  it('keeps the newest lines in memory and reads the others from its file, a turn of more lines than memory holds included', async () => {
    const dir = await folder();
    const ids = Array.from({ length: 50 }, (_, i) => `resp_${i}`);
    const store = await FileConversationStore.open({ dir, memoryBytes: 2048 });
    const expiresAt = Date.now() + 60_000;
    for (const id of ids) store.put(entry(id, expiresAt));
    await new Promise((resolve) => setImmediate(resolve));
    // Written in parts (each within a quarter of the ring), and every one readable, from memory or the file.
    expect(await segments(dir)).toHaveLength(1);
    for (const id of ids) expect(await store.get(id)).toEqual(entry(id, expiresAt));
    await store.close();
    const lines = (await segments(dir))[0]!.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(ids);
  });

  it('writes a response the host stored with its output once, and reads it back whole', async () => {
    const dir = await folder();
    const output = [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'the only copy' }] }];
    const stored: StoredResponse = { id: 'resp_own', owner: 'key:abcd1234', expiresAt: Date.now() + 60_000, input: [], output, response: { id: 'resp_own', object: 'response', output } };
    const first = await FileConversationStore.open({ dir });
    first.put(stored);
    await first.close();
    const [segment] = await segments(dir);
    expect(segment!.split('the only copy')).toHaveLength(2);
    expect(await (await FileConversationStore.open({ dir })).get('resp_own')).toEqual(stored);
  });

  it('writes the response as it was served when that text fits on a line, and serialises it when it does not', async () => {
    const dir = await folder();
    const output: unknown[] = [];
    const served = (id: string) => ({ id, object: 'response', output });
    const expiresAt = Date.now() + 60_000;
    const stored = (id: string): StoredResponse => ({ id, owner: 'key:abcd1234', expiresAt, input: [], output, response: served(id) });
    const first = await FileConversationStore.open({ dir });
    // As an upstream may have written it: spaced, and in the second case pretty-printed.
    first.put(stored('resp_flat'), { response: () => '{"id": "resp_flat", "object": "response", "output": []}' });
    first.put(stored('resp_pretty'), { response: () => JSON.stringify(served('resp_pretty'), null, 2) });
    await first.close();
    const [segment] = await segments(dir);
    expect(segment).toContain('"response":{"id": "resp_flat", "object": "response", "output": []}}');
    expect(segment!.trimEnd().split('\n')).toHaveLength(2);
    const second = await FileConversationStore.open({ dir });
    expect(await second.get('resp_flat')).toEqual(stored('resp_flat'));
    expect(await second.get('resp_pretty')).toEqual(stored('resp_pretty'));
  });

  it("writes the client's request text in place of the input when it can read the input back from it", async () => {
    const dir = await folder();
    const expiresAt = Date.now() + 60_000;
    const output = [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] }];
    const stored = (id: string, input: unknown[]): StoredResponse => ({ id, owner: 'key:abcd1234', expiresAt, input, output, response: { id, object: 'response', output } });
    const asked = '{"model": "m", "instructions": "be brief", "input": "the question"}';
    const items = [{ type: 'message', role: 'user', content: 'the question' }];
    const first = await FileConversationStore.open({ dir, inputOf: responsesConversation.inputOf });
    first.put(stored('resp_asked', items), { request: () => asked });
    // With a byte-order mark, as a client may send it; pretty-printed, when the input is serialised instead.
    first.put(stored('resp_marked', items), { request: () => `\ufeff${asked}` });
    first.put(stored('resp_pretty', items), { request: () => JSON.stringify(JSON.parse(asked), null, 2) });
    await first.close();
    const lines = (await segments(dir))[0]!.trimEnd().split('\n');
    expect(lines[0]).toContain(`"request":${asked}`);
    expect(lines[0]).not.toContain('"input":[');
    expect(lines[2]).toContain('"input":[{"type":"message"');
    const second = await FileConversationStore.open({ dir, inputOf: responsesConversation.inputOf });
    expect(await second.get('resp_asked')).toEqual(stored('resp_asked', items));
    expect(await second.get('resp_pretty')).toEqual(stored('resp_pretty', items));
    expect(await second.get('resp_marked')).toEqual(stored('resp_marked', items));
    await second.close();
    // A store that cannot read a request back never writes one, and reports a line holding one as unreadable.
    const errors: string[] = [];
    const blind = await FileConversationStore.open({ dir, onError: (e) => errors.push(e.message) });
    blind.put(stored('resp_blind', items), { request: () => asked });
    expect(await blind.get('resp_asked')).toBeUndefined();
    expect(errors.join()).toContain('resp_asked');
    await blind.close();
    expect((await segments(dir)).at(-1)).toContain('"id":"resp_blind","expiresAt":');
    expect((await segments(dir)).at(-1)!.split('resp_blind')[1]).toContain('"input":[');
  });

  it('appends the lines of several turns in one write, and never writes one deleted while it waited', async () => {
    const dir = await folder();
    const store = await FileConversationStore.open({ dir });
    store.put(entry('resp_first', Date.now() + 60_000));
    await new Promise((resolve) => setImmediate(resolve));
    store.put(entry('resp_second', Date.now() + 60_000));
    store.put(entry('resp_dropped', Date.now() + 60_000));
    await new Promise((resolve) => setImmediate(resolve));
    // Both turns' lines wait in memory, readable.
    expect(readdirSync(dir)).toEqual([]);
    expect((await store.get('resp_first'))?.id).toBe('resp_first');
    expect(await store.delete('resp_dropped')).toBe(true);
    await vi.waitFor(() => expect(readdirSync(dir)).toHaveLength(1), { timeout: 2000, interval: 5 });
    const ids = (await segments(dir))[0]!.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toEqual(['resp_first', 'resp_second']);
    await store.close();
  });

  it('erases a deleted response from the disk at once', async () => {
    const dir = await folder();
    const first = await FileConversationStore.open({ dir, memoryBytes: 1024 });
    first.put(entry('resp_gone', Date.now() + 60_000));
    first.put(entry('resp_kept', Date.now() + 60_000));
    await first.close();
    const second = await FileConversationStore.open({ dir });
    expect(await second.delete('resp_gone')).toBe(true);
    expect((await segments(dir)).join()).not.toContain('answer resp_gone');
    expect(await second.delete('resp_gone')).toBe(false);
    await second.close();
    const third = await FileConversationStore.open({ dir });
    expect(await third.get('resp_gone')).toBeUndefined();
    expect((await third.get('resp_kept'))?.id).toBe('resp_kept');
  });

  it('moves the files of the one-file-each layout into its log', async () => {
    const dir = await folder();
    const old = entry('resp_old', Date.now() + 60_000);
    await writeFile(join(dir, 'resp_old.json'), JSON.stringify(old));
    await writeFile(join(dir, 'resp_stale.json'), JSON.stringify(entry('resp_stale', Date.now() - 1)));
    await writeFile(join(dir, 'resp_torn.json'), '{"id":"resp_torn","input":[{"content":"private words');
    const errors: string[] = [];
    const store = await FileConversationStore.open({ dir, onError: (e) => errors.push(e.message) });
    expect(await store.get('resp_old')).toEqual(old);
    // Reported without the parser's quote of the file: a conversation's content stays out of the log.
    expect(errors).toEqual(['ignoring unreadable stored response file resp_torn.json: not JSON']);
    expect(await store.get('resp_stale')).toBeUndefined();
    expect((await readdir(dir)).filter((name) => name.endsWith('.json'))).toEqual([]);
    await store.close();
    expect((await (await FileConversationStore.open({ dir })).get('resp_old'))?.id).toBe('resp_old');
  });

  it('ignores ids that cannot be ours and lines that are not stored responses', async () => {
    const dir = await folder();
    const expiresAt = Date.now() + 60_000;
    const lines = [
      '{"id": 1}',
      ResponseLog.line('resp_bad', expiresAt, '"owner":7,"input":[],"output":[],"response":{}'),
      ResponseLog.line('resp_good', expiresAt, '"owner":"key:abcd1234","input":[],"output":[],"response":{}'),
    ];
    await writeFile(join(dir, '1.jsonl'), `${lines.join('\n')}\n`);
    const errors: string[] = [];
    const store = await FileConversationStore.open({ dir, onError: (e) => errors.push(e.message) });
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    expect(await store.get('resp_bad')).toBeUndefined();
    expect((await store.get('resp_good'))?.id).toBe('resp_good');
    expect(errors.join()).toContain('1.jsonl at byte 0');
    expect(errors.join()).toContain('resp_bad');
  });

  it('ignores a line a crash cut short, and goes on in a segment of its own', async () => {
    const dir = await folder();
    const first = await FileConversationStore.open({ dir });
    first.put(entry('resp_whole', Date.now() + 60_000));
    await first.close();
    // What a crash in the middle of writing leaves: the start of a line.
    const [name] = await readdir(dir);
    const expiresAt = Date.now() + 60_000;
    await appendFile(join(dir, name!), `{"id":"resp_cut","expiresAt":${expiresAt},"owner":"key:ab`);
    const errors: string[] = [];
    const second = await FileConversationStore.open({ dir, onError: (e) => errors.push(e.message) });
    expect(await second.get('resp_cut')).toBeUndefined();
    expect((await second.get('resp_whole'))?.id).toBe('resp_whole');
    expect(errors.join()).toContain('cut short');
    second.put(entry('resp_next', expiresAt));
    await second.close();
    expect(await segments(dir)).toHaveLength(2);
    expect((await (await FileConversationStore.open({ dir })).get('resp_next'))?.id).toBe('resp_next');
  });
});

/** The segment files of a folder, oldest first, as text. */
async function segments(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  return Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
}
