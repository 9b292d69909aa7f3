/**
 * Session affinity: the id that ties the requests of one conversation together, so the conductor
 * can keep sending them to the same credential (and the upstream's prompt cache stays warm).
 *
 * Sources, strongest first; each id carries its source as a prefix so ids from different sources
 * never collide:
 *
 * 1. `claude:` the session uuid inside Claude Code's `metadata.user_id`;
 * 2. `header:` the `x-session-id` request header;
 * 3. `user:` any other end-user id (Anthropic `metadata.user_id`, OpenAI `user`);
 * 4. `conv:` a body `conversation_id`;
 * 5. `msg:` a hash of the conversation's opening (system prompt and first user message), for
 *    clients that send no id at all.
 *
 * @module
 */

import type { IRMessage, IRRequest } from '../../formats/ir.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Claude Code before v2.1.78; the account part is empty for API-key users. */
const CLAUDE_USER_ID = new RegExp(`^user_[0-9a-f]+_account_(?:${UUID})?_session_(${UUID})$`, 'i');
/** Explicit ids longer than this are rejected, so a client cannot bloat the session table. */
const MAX_ID_LENGTH = 256;
/** Characters of each text the opening hash reads: enough to tell conversations apart. */
const HASHED_CHARS = 100;

/**
 * The session id of a request, prefixed by its source, or undefined when the request carries
 * neither a usable id nor any text to hash.
 *
 * @param headers Request headers with lowercase names, as Node delivers them.
 * @param body The client's raw JSON body (ids live in fields the IR does not keep).
 * @param request The decoded request, for the opening hash.
 */
export function extractSessionId(
  headers: Record<string, string | string[] | undefined>,
  body: Record<string, unknown>,
  request: IRRequest,
): string | undefined {
  const userId = metadataUserId(body);
  if (userId !== undefined) {
    const session = claudeSession(userId);
    if (session !== undefined) return `claude:${session}`;
  }
  const header = headers['x-session-id'];
  // Only set-cookie arrives as an array from Node; take the first value for any other caller.
  const headerId = Array.isArray(header) ? header[0] : header;
  if (isValidId(headerId)) return `header:${headerId}`;
  // The decoders put Anthropic `metadata.user_id` and OpenAI `user` in the IR's `user`.
  if (isValidId(request.user)) return `user:${request.user}`;
  const conversationId = body.conversation_id;
  if (isValidId(conversationId)) return `conv:${conversationId}`;
  return openingHash(request);
}

/** Printable ASCII, 1..256 characters: anything else is likely garbage or an attack on the table. */
function isValidId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function metadataUserId(body: Record<string, unknown>): string | undefined {
  const metadata = body.metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const userId = (metadata as Record<string, unknown>).user_id;
  return typeof userId === 'string' ? userId : undefined;
}

/**
 * The Claude Code session in a `metadata.user_id`: `user_<hex>_account_<uuid>_session_<uuid>`,
 * or, from Claude Code v2.1.78 on, a JSON object `{"device_id", "account_uuid", "session_id"}`.
 */
function claudeSession(userId: string): string | undefined {
  const match = CLAUDE_USER_ID.exec(userId);
  if (match !== null) return match[1];
  // Only a leading brace can be the JSON form; checking first avoids a throw per other request.
  if (userId.charCodeAt(0) !== 0x7b) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(userId);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const session = (parsed as Record<string, unknown>).session_id;
  return isValidId(session) ? session : undefined;
}

/**
 * FNV-1a 64 over the first {@link HASHED_CHARS} characters of the system prompt and of the first
 * user message (a message's text is its text parts concatenated). Later turns only append, so
 * every request of a conversation hashes the same from the first one on. Conversations that open
 * identically share a credential, which is what their shared prompt-cache prefix wants anyway.
 */
function openingHash(request: IRRequest): string | undefined {
  const hash = new Fnv1a64();
  let chars = hash.text(request.system ?? '', HASHED_CHARS);
  // 0xff never occurs in UTF-8, so it separates the fields unambiguously ("ab"+"c" vs "a"+"bc").
  hash.byte(0xff);
  chars += hashMessage(hash, firstOf(request.messages, 'user'));
  return chars === 0 ? undefined : `msg:${hash.hex()}`;
}

function firstOf(messages: readonly IRMessage[], role: IRMessage['role']): IRMessage | undefined {
  for (const message of messages) if (message.role === role) return message;
  return undefined;
}

/** Feeds up to {@link HASHED_CHARS} characters of a message's text; returns how many. */
function hashMessage(hash: Fnv1a64, message: IRMessage | undefined): number {
  let chars = 0;
  if (message === undefined) return chars;
  for (const part of message.content) {
    if (chars === HASHED_CHARS) break;
    if (part.type === 'text') chars += hash.text(part.text, HASHED_CHARS - chars);
  }
  return chars;
}

/**
 * FNV-1a 64-bit over UTF-8 bytes, in four 16-bit limbs so it runs on plain numbers (BigInt
 * would allocate on every step). Multiplying by the prime 2^40 + 0x1b3 is done as
 * `h * 0x1b3 + (h << 40)`, carrying between limbs.
 */
class Fnv1a64 {
  // Offset basis 0xcbf29ce484222325, low limb first.
  private v0 = 0x2325;
  private v1 = 0x8422;
  private v2 = 0x9ce4;
  private v3 = 0xcbf2;

  byte(b: number): void {
    const v0 = this.v0 ^ b;
    const t0 = v0 * 0x1b3;
    const t1 = this.v1 * 0x1b3 + (t0 >>> 16);
    const t2 = this.v2 * 0x1b3 + (v0 << 8) + (t1 >>> 16);
    const t3 = this.v3 * 0x1b3 + (this.v1 << 8) + (t2 >>> 16);
    this.v0 = t0 & 0xffff;
    this.v1 = t1 & 0xffff;
    this.v2 = t2 & 0xffff;
    this.v3 = t3 & 0xffff;
  }

  /**
   * Feeds the UTF-8 encoding of `s.slice(0, max)` without building either string; a surrogate
   * left unpaired (also by the cut) is encoded as U+FFFD, as TextEncoder does. Returns the
   * number of UTF-16 units read.
   */
  text(s: string, max: number): number {
    const end = Math.min(s.length, max);
    for (let i = 0; i < end; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
        continue;
      }
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < end ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          this.byte(0xf0 | (c >> 18));
          this.byte(0x80 | ((c >> 12) & 0x3f));
          this.byte(0x80 | ((c >> 6) & 0x3f));
          this.byte(0x80 | (c & 0x3f));
          continue;
        }
        c = 0xfffd;
      }
      this.byte(0xe0 | (c >> 12));
      this.byte(0x80 | ((c >> 6) & 0x3f));
      this.byte(0x80 | (c & 0x3f));
    }
    return end;
  }

  /** The hash as 16 lowercase hex digits. */
  hex(): string {
    return hex4(this.v3) + hex4(this.v2) + hex4(this.v1) + hex4(this.v0);
  }
}

function hex4(limb: number): string {
  return limb.toString(16).padStart(4, '0');
}
