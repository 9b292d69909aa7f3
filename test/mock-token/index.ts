/**
 * A mock OAuth 2.0 token endpoint for Switchyard's tests of credentials that expire: the
 * refresh-token grant with rotating refresh tokens, the jwt-bearer grant of Google service
 * accounts with real RS256 verification, expiring access tokens, failures and delays on demand,
 * and introspection of what it served. Start it with {@link startMockTokenServer}; make a key
 * pair and a service-account file with {@link makeServiceAccount}.
 *
 * @example
 * ```ts
 * const mock = await startMockTokenServer({ expiresIn: 2 });
 * const refreshToken = mock.registerClient({ clientId: 'app', clientSecret: 's3cret' });
 * const sa = makeServiceAccount({ tokenUri: mock.tokenUrl, projectId: 'demo' });
 * mock.registerServiceAccount({ clientEmail: sa.file.client_email, publicKeyPem: sa.publicKeyPem });
 * ```
 *
 * @module
 */

export { JWT_BEARER, startMockTokenServer } from './server.js';
export { makeKeyPair, makeServiceAccount, type ServiceAccountFile, type ServiceAccountOptions } from './service-account.js';
export type { GrantRecord, MockClient, MockGrantType, MockTokenFailure, MockTokenOptions, MockTokenServer } from './types.js';
