import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientName, keySet } from './keys.js';

describe('client keys', () => {
  const keys = keySet(['sk-plain-one', { name: 'ci', key: 'sk-named-two' }, 'sk-ünïcode-三']);

  it('names the client of each configured key', () => {
    expect(keys.open).toBe(false);
    expect(keys.match('sk-named-two')).toBe('ci');
    expect(keys.match('sk-plain-one')).toBe(clientName('sk-plain-one'));
    expect(keys.match('sk-ünïcode-三')).toBe(clientName('sk-ünïcode-三'));
  });

  it('matches no other key: a prefix, an extension, one character off, another case, empty, absent', () => {
    for (const key of ['sk-plain', 'sk-plain-one ', 'sk-plain-onf', 'SK-PLAIN-ONE', 'sk-named-two\0', 'sk-ünïcode-四', '', undefined]) {
      expect(keys.match(key)).toBeUndefined();
    }
  });

  it('tells apart many keys, whose digests hold bytes of every value (latin1 characters up to 0xff)', () => {
    const many = Array.from({ length: 300 }, (_, i) => `sk-key-${i}`);
    const set = keySet(many);
    for (const key of many) expect(set.match(key)).toBe(clientName(key));
    for (let i = 300; i < 600; i++) expect(set.match(`sk-key-${i}`)).toBeUndefined();
  });

  it('names a key of no name by the first 8 hex digits of its SHA-256', () => {
    const hex = createHash('sha256').update('sk-ünïcode-三').digest('hex');
    expect(clientName('sk-ünïcode-三')).toBe(`key:${hex.slice(0, 8)}`);
  });

  it('is open with no keys', () => {
    expect(keySet([]).open).toBe(true);
  });
});
