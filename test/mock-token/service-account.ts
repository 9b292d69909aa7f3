/**
 * Test key pairs and Google-style service-account key files for the mock token endpoint.
 *
 * @module
 */

import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** A service-account key file as Google issues it (plus Switchyard's `location`/`provider` when asked). */
export interface ServiceAccountFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
  location?: string;
  provider?: string;
}

export interface ServiceAccountOptions {
  /** The token endpoint the key file names (`token_uri`): the mock's `tokenUrl`. */
  tokenUri: string;
  projectId: string;
  /** Vertex region, written as `location` when given. */
  location?: string;
  /** The Switchyard provider the credential file belongs to, written as `provider` when given. */
  provider?: string;
  /** Default `switchyard-test@<projectId>.iam.gserviceaccount.com`. */
  clientEmail?: string;
}

/** An RSA 2048 key pair in PEM (PKCS#8 private key, SPKI public key, as Google's files hold). */
export function makeKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * A fresh key pair and the service-account JSON holding its private half. Register the account
 * with the mock (`registerServiceAccount({clientEmail: file.client_email, publicKeyPem})`) so
 * its JWTs verify.
 */
export function makeServiceAccount(options: ServiceAccountOptions): { file: ServiceAccountFile; publicKeyPem: string; privateKeyPem: string } {
  const { privateKeyPem, publicKeyPem } = makeKeyPair();
  const clientEmail = options.clientEmail ?? `switchyard-test@${options.projectId}.iam.gserviceaccount.com`;
  const file: ServiceAccountFile = {
    type: 'service_account',
    project_id: options.projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: String(100_000_000_000_000_000_000n + BigInt(randomBytes(6).readUIntBE(0, 6))),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: options.tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
  if (options.location !== undefined) file.location = options.location;
  if (options.provider !== undefined) file.provider = options.provider;
  return { file, publicKeyPem, privateKeyPem };
}
