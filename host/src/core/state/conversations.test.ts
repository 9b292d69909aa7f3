import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileConversationStore, type StoredResponse } from './conversations.js';

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

  it('survives a restart through its folder, reads back what left memory, and sweeps expired files at start', async () => {
    const dir = await folder();
    let now = 1000;
    const first = await FileConversationStore.open({ dir, maxInMemory: 2, now: () => now });
    for (const id of ['resp_1', 'resp_2', 'resp_3']) first.put(entry(id, id === 'resp_1' ? 2000 : 10_000));
    // resp_1 left memory; its file answers.
    expect((await first.get('resp_1'))?.id).toBe('resp_1');
    await first.close();
    now = 3000;
    const second = await FileConversationStore.open({ dir, now: () => now });
    expect(await second.get('resp_1')).toBeUndefined();
    expect((await second.get('resp_3'))?.response).toEqual({ id: 'resp_3', object: 'response' });
    expect((await readdir(dir)).sort()).toEqual(['resp_2.json', 'resp_3.json']);
  });

  it('writes the answers of one turn together: readable before their files exist, and a deleted one is never written', async () => {
    const dir = await folder();
    const store = await FileConversationStore.open({ dir, maxInMemory: 1 });
    for (const id of ['resp_x', 'resp_y', 'resp_z']) store.put(entry(id, Date.now() + 60_000));
    // Nothing is written before the turn ends; resp_x left memory and the store still answers for it.
    expect(readdirSync(dir)).toEqual([]);
    const [kept, deleted] = [store.get('resp_x'), store.delete('resp_y')];
    expect(readdirSync(dir)).toEqual([]);
    expect((await kept)?.id).toBe('resp_x');
    expect(await deleted).toBe(true);
    await store.close();
    expect((await readdir(dir)).sort()).toEqual(['resp_x.json', 'resp_z.json']);
  });

  it('ignores ids that cannot be ours and files that are not stored responses', async () => {
    const dir = await folder();
    const errors: string[] = [];
    const store = await FileConversationStore.open({ dir, onError: (e) => errors.push(e.message) });
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    await writeFile(join(dir, 'resp_bad.json'), '{"id": 1}');
    expect(await store.get('resp_bad')).toBeUndefined();
    expect(errors.join()).toContain('resp_bad');
  });

  it('treats a file a crash cut short as unknown, and removes it at the next start', async () => {
    const dir = await folder();
    const first = await FileConversationStore.open({ dir });
    first.put(entry('resp_whole', Date.now() + 60_000));
    await first.close();
    // What a crash in the middle of writing leaves: the start of a stored response.
    await writeFile(join(dir, 'resp_cut.json'), JSON.stringify(entry('resp_cut', Date.now() + 60_000)).slice(0, 40));
    const errors: string[] = [];
    const second = await FileConversationStore.open({ dir, onError: (e) => errors.push(e.message) });
    expect(await second.get('resp_cut')).toBeUndefined();
    expect((await second.get('resp_whole'))?.id).toBe('resp_whole');
    expect(errors.join()).toContain('resp_cut');
    expect((await readdir(dir)).sort()).toEqual(['resp_whole.json']);
  });
});
