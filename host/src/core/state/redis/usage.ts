/**
 * Usage minutes in Redis: `Pusage:<minute>` (epoch ms) is a hash whose fields are
 * `<client>\0<model>\0<provider>\0<credential>\0<counter index>`, each host adding its rows
 * with HINCRBY; a minute expires once past the retention.
 *
 * @module
 */
import { MINUTE_MS, USAGE_FIELDS, USAGE_RETENTION_MS, type UsageRow, parseUsageKey, usageKeyString } from '../usage.js';
import type { RedisConnection } from './connection.js';
import { pairs } from './replies.js';

const keyOf = (prefix: string, minute: number) => `${prefix}usage:${minute}`;

/** Adds `row` to its minute; `offset` is the server clock minus the local one (for the expiry). */
export async function writeUsage(redis: RedisConnection, prefix: string, row: UsageRow, offset: number): Promise<void> {
  const key = keyOf(prefix, row.minute);
  const fields = usageKeyString(row);
  await Promise.all([
    ...USAGE_FIELDS.map((field, i) => (row[field] > 0 ? redis.send(key, ['HINCRBY', key, `${fields}\u0000${i}`, String(row[field])]) : undefined)),
    redis.send(key, ['PEXPIREAT', key, String(Math.round(row.minute + USAGE_RETENTION_MS + MINUTE_MS + offset))]),
  ]);
}

/** Every host's rows of the minutes in [`from`, `to`] still kept. */
export async function readUsage(redis: RedisConnection, prefix: string, from: number, to: number): Promise<UsageRow[]> {
  const first = Math.max(from - (from % MINUTE_MS), Date.now() - USAGE_RETENTION_MS - MINUTE_MS);
  const minutes: number[] = [];
  for (let minute = first - (first % MINUTE_MS); minute <= to; minute += MINUTE_MS) if (minute >= from) minutes.push(minute);
  const hashes = await Promise.all(minutes.map((m) => redis.send(keyOf(prefix, m), ['HGETALL', keyOf(prefix, m)]).then(pairs)));
  const rows: UsageRow[] = [];
  hashes.forEach((fields, i) => {
    const byKey = new Map<string, UsageRow>();
    for (const [field, value] of fields) {
      const cut = field.lastIndexOf('\u0000');
      const counter = USAGE_FIELDS[Number(field.slice(cut + 1))];
      const keyText = field.slice(0, cut);
      let row = byKey.get(keyText);
      if (!row) {
        const key = parseUsageKey(keyText);
        if (!key || !counter) continue;
        byKey.set(keyText, (row = { minute: minutes[i]!, ...key, requests: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, errors: 0 }));
      }
      if (counter) row[counter] = Number(value);
    }
    rows.push(...byKey.values());
  });
  return rows;
}
