import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseLog } from './response-log.js';

const HOUR = 3_600_000;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function opened(now = 0): Promise<{ dir: string; log: ResponseLog; errors: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-log-'));
  dirs.push(dir);
  const errors: string[] = [];
  return { dir, log: await ResponseLog.open(dir, now, (e) => errors.push(e.message)), errors };
}
const line = (id: string, expiresAt: number) => ({ id, expiresAt, bytes: Buffer.from(`${ResponseLog.line(id, expiresAt, `"text":${JSON.stringify(`answer ${id} é`)}`)}\n`) });

describe('ResponseLog', () => {
  it('appends a batch in one segment and reads each line back by its byte offset', async () => {
    const { log } = await opened();
    log.append([line('resp_a', 10 * HOUR), line('resp_b', 10 * HOUR)], 0);
    log.append([line('resp_c', 10 * HOUR)], 1);
    expect(await log.read('resp_b')).toEqual({ id: 'resp_b', expiresAt: 10 * HOUR, text: 'answer resp_b é' });
    expect(await log.read('resp_c')).toMatchObject({ id: 'resp_c' });
    expect(await log.read('resp_none')).toBeUndefined();
    log.close();
  });

  it('starts a new segment after an hour, and sweeps a segment once all of its responses expired', async () => {
    const { dir, log } = await opened();
    log.append([line('resp_early', 2 * HOUR)], 0);
    log.append([line('resp_late', 3 * HOUR)], HOUR + 1);
    expect(await readdir(dir)).toHaveLength(2);
    await log.sweep(2 * HOUR);
    expect(await readdir(dir)).toEqual([`${HOUR + 1}.jsonl`]);
    expect(log.has('resp_early', 0)).toBe(false);
    expect(log.has('resp_late', 2 * HOUR)).toBe(true);
    expect(log.has('resp_late', 3 * HOUR)).toBe(false);
    // The segment being filled goes too once it has all expired; the next response starts another.
    await log.sweep(3 * HOUR);
    expect(await readdir(dir)).toEqual([]);
    log.append([line('resp_next', 5 * HOUR)], 3 * HOUR);
    expect(await log.read('resp_next')).toMatchObject({ id: 'resp_next' });
    log.close();
  });

  it('blanks an erased line where it stands and a line stored again leaves no older copy', async () => {
    const { dir, log } = await opened();
    log.append([line('resp_a', HOUR), line('resp_b', HOUR)], 0);
    log.append([line('resp_b', 2 * HOUR)], 1);
    expect(log.erase('resp_a')).toBe(true);
    expect(log.erase('resp_a')).toBe(false);
    const [name] = await readdir(dir);
    const text = await readFile(join(dir, name!), 'utf8');
    expect(text.split('\n').map((l) => l.trim() === '' ? 'blank' : (JSON.parse(l) as { expiresAt: number }).expiresAt)).toEqual(['blank', 'blank', 2 * HOUR, 'blank']);
    log.close();
    const again = await ResponseLog.open(dir, 0, () => {});
    expect(again.has('resp_a', 0)).toBe(false);
    expect(await again.read('resp_b')).toMatchObject({ expiresAt: 2 * HOUR });
    again.close();
  });

  it('reports a line that is not JSON without quoting it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-log-'));
    dirs.push(dir);
    await writeFile(join(dir, '1.jsonl'), `{"id":"resp_torn","expiresAt":${HOUR},"owner":"private words\n`);
    const errors: string[] = [];
    const log = await ResponseLog.open(dir, 0, (e) => errors.push(e.message));
    expect(await log.read('resp_torn')).toBeUndefined();
    expect(errors).toEqual(['ignoring unreadable stored response resp_torn: its line is not JSON']);
    log.close();
  });
});
