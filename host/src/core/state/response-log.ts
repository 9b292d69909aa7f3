/**
 * The files of the file conversation store: stored responses appended, one JSON line each, to
 * segment files (`<ms>.jsonl`) under `authDir/responses/`. A batch of responses is one write
 * system call on the segment being filled (~9 µs); a file per response cost an open, a write and
 * a close, and a new inode, each time (~35 µs). A segment is filled for an hour or up to 128 MiB
 * and removed whole once every response in it has expired. A deleted response's line is
 * overwritten with spaces where it stands, so its content leaves the disk at once.
 *
 * Every line starts `{"id":"<id>","expiresAt":<ms>,` so that opening the folder indexes a segment
 * without parsing its lines; a response is parsed when it is read. Only one process writes a
 * folder (the primary, under `serve --workers`). Memory: the index (`line-index.ts`) holds ~190 bytes
 * a response outside the JavaScript heap (measured with ids of 37 characters), ~19 MB for 100,000
 * stored responses.
 *
 * @module
 */
import { closeSync, openSync, writeSync, writevSync } from 'node:fs';
import { open, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LineIndex } from './line-index.js';

/** A segment is filled for this long at most, so that it expires about this long after its first response. */
const SEGMENT_MS = 3_600_000;
/** And up to this size. */
const SEGMENT_BYTES = 128 * 1024 * 1024;
/** What a stored response's id may hold (it names a line here and a key in Redis): every store takes only these. */
export const RESPONSE_ID = '[A-Za-z0-9_-]{1,200}';
/** What an indexed line starts with: the id and the expiry, before everything else. */
const HEAD = new RegExp(`^\\{"id":"(${RESPONSE_ID})","expiresAt":(\\d{1,16}),`);
/** Longest head worth decoding to match {@link HEAD}. */
const HEAD_BYTES = 256;
const NEWLINE = 0x0a;
const SPACE = 0x20;

interface Segment {
  /** Its number in the index, unique in this process. */
  readonly number: number;
  readonly file: string;
  /** Bytes written so far (the offset of the next line). */
  size: number;
  /** When it was started, epoch ms. */
  readonly started: number;
  /** The latest expiry of a response in it: the whole file goes once that has passed. */
  expiresAt: number;
}

/** A response to append: its id, its expiry and its line (see {@link ResponseLog.line}) as UTF-8, newline included. */
export interface LogLine {
  id: string;
  expiresAt: number;
  bytes: Uint8Array;
}

/** The stored responses of one folder on disk, indexed in memory (see the module comment). */
export class ResponseLog {
  readonly #dir: string;
  readonly #index = new LineIndex();
  /** Oldest first. */
  readonly #segments: Segment[] = [];
  #numbered = 0;
  /** The segment being filled, and its descriptor (older segments are opened only to read or blank a line). */
  #current: { segment: Segment; fd: number } | undefined;
  readonly #onError: (err: Error) => void;

  private constructor(dir: string, onError: (err: Error) => void) {
    this.#dir = dir;
    this.#onError = onError;
  }

  /**
   * The line of a response: its fields after the id and the expiry, a JSON object's members
   * (`"owner":...,"input":[...]` and so on, no braces), become the rest of the object.
   */
  static line(id: string, expiresAt: number, members: string): string {
    return `{"id":${JSON.stringify(id)},"expiresAt":${expiresAt},${members}}`;
  }

  /**
   * Indexes the segments in `dir` (which must exist), removing those whose responses have all
   * expired by `now`. A line that is not one of ours, or that a crash cut short, is reported and
   * left unindexed.
   */
  static async open(dir: string, now: number, onError: (err: Error) => void): Promise<ResponseLog> {
    const log = new ResponseLog(dir, onError);
    const names = (await readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    for (const name of names) await log.#load(name, now);
    return log;
  }

  /** Whether `id` has a line that has not expired by `now`. */
  has(id: string, now: number): boolean {
    const place = this.#index.get(id);
    return place !== undefined && place.expiresAt > now;
  }

  /** Appends responses, in one write. A failed write is reported; those responses are not kept on disk. */
  append(lines: readonly LogLine[], now: number): void {
    if (lines.length === 0) return;
    const current = this.#filling(now);
    if (!current) return;
    const { segment, fd } = current;
    const buffers: Uint8Array[] = [];
    let size = 0;
    for (const line of lines) {
      buffers.push(line.bytes);
      size += line.bytes.length;
    }
    try {
      // One system call for the batch, of the bytes as they are (libuv goes on after a short write).
      const done = writevSync(fd, buffers, segment.size);
      if (done !== size) throw new Error(`wrote ${done} of ${size} bytes of stored responses`);
    } catch (err) {
      // What part of the batch reached the file is unknown: nothing more goes after it.
      this.#onError(err as Error);
      this.#close();
      return;
    }
    for (const { id, expiresAt, bytes } of lines) {
      // A response stored again leaves no older copy behind, which a delete would miss.
      this.erase(id);
      this.#index.set(id, segment.number, segment.size, bytes.length - 1, expiresAt);
      segment.size += bytes.length;
      if (expiresAt > segment.expiresAt) segment.expiresAt = expiresAt;
    }
  }

  /** The line of `id` (parsed), or undefined when it has none or it cannot be read. */
  async read(id: string): Promise<unknown> {
    const place = this.#index.get(id);
    const segment = place && this.#segment(place.segment);
    if (!place || !segment) return undefined;
    const buffer = Buffer.alloc(place.length);
    let file;
    try {
      file = await open(segment.file, 'r');
      await file.read(buffer, 0, place.length, place.offset);
    } catch (err) {
      this.#onError(err as Error);
      return undefined;
    } finally {
      await file?.close();
    }
    try {
      return JSON.parse(buffer.toString('utf8'));
    } catch {
      // Not the parser's message: it quotes the text, a conversation's content.
      this.#onError(new Error(`ignoring unreadable stored response ${id}: its line is not JSON`));
      return undefined;
    }
  }

  /** Overwrites the line of `id` with spaces; false when it had none. */
  erase(id: string): boolean {
    const place = this.#index.get(id);
    const segment = place && this.#segment(place.segment);
    if (!place || !segment) return false;
    this.#index.delete(id);
    const current = this.#current?.segment === segment ? this.#current.fd : undefined;
    let fd = current;
    try {
      fd ??= openSync(segment.file, 'r+');
      writeSync(fd, Buffer.alloc(place.length, SPACE), 0, place.length, place.offset);
    } catch (err) {
      this.#onError(err as Error);
    } finally {
      if (fd !== undefined && fd !== current) closeSync(fd);
    }
    return true;
  }

  /** Removes the segments whose responses have all expired by `now`, and forgets their lines. */
  async sweep(now: number): Promise<void> {
    const expired = this.#segments.filter((s) => s.expiresAt <= now);
    if (expired.length === 0) return;
    // Out of the list before the first await, so a sweep that overlaps this one finds none of them.
    this.#segments.splice(0, this.#segments.length, ...this.#segments.filter((s) => s.expiresAt > now));
    this.#index.deleteIn(new Set(expired.map((s) => s.number)));
    for (const segment of expired) {
      if (this.#current?.segment === segment) this.#close();
      await rm(segment.file, { force: true }).catch((err: Error) => this.#onError(err));
    }
  }

  close(): void {
    this.#close();
  }

  /** The segment to append to at `now`: the current one, or a new one once it is full or old. */
  #filling(now: number): { segment: Segment; fd: number } | undefined {
    const current = this.#current;
    if (current && current.segment.size < SEGMENT_BYTES && now - current.segment.started < SEGMENT_MS) return current;
    this.#close();
    // Names order segments by when they were started; never reuse one.
    const last = this.#segments.at(-1)?.started ?? 0;
    const started = Math.max(now, last + 1);
    const segment: Segment = { number: this.#numbered++, file: join(this.#dir, `${started}.jsonl`), size: 0, started, expiresAt: 0 };
    try {
      this.#current = { segment, fd: openSync(segment.file, 'wx') };
    } catch (err) {
      this.#onError(err as Error);
      return undefined;
    }
    this.#segments.push(segment);
    return this.#current;
  }

  /** The segment numbered `number`, unless it was swept. */
  #segment(number: number): Segment | undefined {
    for (let i = this.#segments.length - 1; i >= 0; i--) if (this.#segments[i]!.number === number) return this.#segments[i];
    return undefined;
  }

  #close(): void {
    if (this.#current) closeSync(this.#current.fd);
    this.#current = undefined;
  }

  async #load(name: string, now: number): Promise<void> {
    const file = join(this.#dir, name);
    const bytes = await readFile(file);
    const segment: Segment = { number: this.#numbered++, file, size: bytes.length, started: parseInt(name, 10) || 0, expiresAt: 0 };
    const places: [id: string, offset: number, length: number, expiresAt: number][] = [];
    for (let start = 0; start < bytes.length; ) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end < 0) {
        this.#onError(new Error(`ignoring a stored response cut short at the end of ${name}`));
        break;
      }
      // An erased line is spaces; an empty line is nothing.
      if (end > start && bytes[start] !== SPACE) {
        const head = HEAD.exec(bytes.toString('latin1', start, Math.min(end, start + HEAD_BYTES)));
        if (!head) this.#onError(new Error(`ignoring a line of ${name} at byte ${start} that is not a stored response`));
        else places.push([head[1]!, start, end - start, Number(head[2])]);
      }
      start = end + 1;
    }
    for (const [, , , expiresAt] of places) if (expiresAt > segment.expiresAt) segment.expiresAt = expiresAt;
    if (segment.expiresAt <= now) {
      await rm(file, { force: true });
      return;
    }
    this.#segments.push(segment);
    for (const [id, offset, length, expiresAt] of places) if (expiresAt > now) this.#index.set(id, segment.number, offset, length, expiresAt);
  }
}
