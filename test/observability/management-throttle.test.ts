/**
 * Management key guessing through a real host: after 5 failed attempts in a minute an address
 * gets 429 with Retry-After, even with the right key; the client API is not affected.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_KEY, useGateway } from '../helpers/host.js';

const MGMT = 'mgmt-throttle-key';
const gw = useGateway({ managementKey: MGMT });

const credentials = (key?: string) =>
  fetch(`${gw.host.url}/v0/management/credentials`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });

describe('management auth throttle', () => {
  it('answers 429 for a minute after 5 failures, whatever the key; a success before that resets the count', async () => {
    for (let i = 0; i < 4; i++) expect((await credentials('wrong')).status).toBe(401);
    // A success forgets the failures so far: an operator's typo does not count against later ones.
    expect((await credentials(MGMT)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await credentials(i % 2 ? 'wrong' : undefined)).status).toBe(401);
    expect((await credentials('wrong')).status).toBe(401);

    const blocked = await credentials(MGMT);
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await blocked.json()) as { error: { message: string } }).error.message).toMatch(/Too many failed management key attempts/);

    const models = await fetch(`${gw.host.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    expect(models.status).toBe(200);
  });
});
