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
 * 5. `msg:` a SHA-256 of the conversation's opening (system prompt and first user message), for
 *    clients that send no id at all.
 *
 * @module
 */

import { hash } from 'node:crypto';
import type { IRMessage, IRRequest } from '../../formats/ir.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Claude Code before v2.1.78; the account part is empty for API-key users. */
const CLAUDE_USER_ID = new RegExp(`^user_[0-9a-f]+_account_(?:${UUID})?_session_(${UUID})$`, 'i');
/** Explicit ids longer than this are rejected, so a client cannot bloat the session table. */
const MAX_ID_LENGTH = 256;
/** Characters of each text the opening hash reads: enough to tell conversations apart. */
const HASHED_CHARS = 100;
/** Between the hashed texts: UTF-8 never has 0xff, so "ab"+"c" and "a"+"bc" hash apart. */
const SEPARATOR = Buffer.of(0xff);

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
 * A SHA-256 (node:crypto) of the first {@link HASHED_CHARS} characters of the system prompt and
 * of the first user message (a message's text is its text parts concatenated), as 16 hex digits.
 * Later turns only append, so every request of a conversation hashes the same from the first
 * one on. Conversations that open identically share a credential, which is what their shared
 * prompt-cache prefix wants anyway.
 */
function openingHash(request: IRRequest): string | undefined {
  const system = (request.system ?? '').slice(0, HASHED_CHARS);
  const first = messageText(firstOf(request.messages, 'user'), HASHED_CHARS);
  if (system.length + first.length === 0) return undefined;
  const opening = Buffer.concat([Buffer.from(system), SEPARATOR, Buffer.from(first)]);
  return `msg:${hash('sha256', opening, 'hex').slice(0, 16)}`;
}

function firstOf(messages: readonly IRMessage[], role: IRMessage['role']): IRMessage | undefined {
  for (const message of messages) if (message.role === role) return message;
  return undefined;
}

/** The first `max` characters of a message's text parts, concatenated. */
function messageText(message: IRMessage | undefined, max: number): string {
  let text = '';
  for (const part of message?.content ?? []) {
    if (text.length >= max) break;
    if (part.type === 'text') text += part.text.slice(0, max - text.length);
  }
  return text;
}
