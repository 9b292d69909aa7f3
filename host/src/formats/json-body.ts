/**
 * A JSON body that keeps both of its forms: the text it was read as or will be sent as, and the
 * value it parses to. Each form is made at most once and only when asked for, so a body that
 * passes through untouched is never parsed, and one built as an object is serialised once.
 *
 * @module
 */
import { gatewayError } from '../errors/registry.js';

const UNSET: unique symbol = Symbol('unset');

export class JsonBody {
  #text: string | undefined;
  #value: unknown = UNSET;

  private constructor(text: string | undefined, value: unknown) {
    this.#text = text;
    this.#value = value;
  }

  /** A body read as `text`; parsed on first use of {@link value}. */
  static fromText(text: string): JsonBody {
    return new JsonBody(text, UNSET);
  }

  /** A body built as `value`; `text`, when known, is its exact serialisation (the client's bytes). */
  static fromValue(value: unknown, text?: string): JsonBody {
    return new JsonBody(text, value);
  }

  /** Whether the text form exists already (a body that came as bytes goes on as those bytes). */
  get hasText(): boolean {
    return this.#text !== undefined;
  }

  /** Whether the value form exists already (a body built as an object, or text parsed before). */
  get hasValue(): boolean {
    return this.#value !== UNSET;
  }

  /** The parsed value. Throws a `SyntaxError` for text that is not JSON. */
  get value(): unknown {
    if (this.#value === UNSET) this.#value = JSON.parse(this.#text!);
    return this.#value;
  }

  /**
   * The JSON text. A value nested too deeply to serialise is the request's fault: a 400 that
   * ends the request, never an upstream failure that would cool a credential.
   */
  get text(): string {
    if (this.#text === undefined) {
      try {
        this.#text = JSON.stringify(this.#value);
      } catch (err) {
        if (err instanceof RangeError) throw gatewayError('invalid_body', 'body: nested too deeply to process');
        throw err;
      }
    }
    return this.#text;
  }
}
