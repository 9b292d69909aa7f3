/**
 * Credential files through management: `GET /v0/management/credential-files` lists them (never
 * their material), `POST` adds one (`{name, content}`: written atomically into
 * `authDir/credentials/`, where the watcher makes it a credential), `DELETE .../{name}` removes
 * one. Only files in that folder can be added or removed; files a provider lists are listed.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CredentialFileError, parseCredentialFile } from '../core/auth/credential-file.js';
import { fileStateKey } from '../core/auth/file-credentials.js';
import type { CredentialFiles } from '../core/auth/files.js';
import type { Refresher } from '../core/auth/refresher.js';
import { gatewayError } from '../errors/registry.js';
import { parseInput } from './management-query.js';

/** A file name in the credentials folder: no path, no hidden files. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.json$/;

const addSchema = z.strictObject({
  name: z.string().regex(NAME, 'expected a file name like "team-a.json" (letters, digits, ".", "_", "-")'),
  content: z.record(z.string(), z.unknown()),
});

export interface CredentialFileAccess {
  files: CredentialFiles;
  refresher: Refresher;
}

export function registerCredentialFileRoutes(scope: FastifyInstance, access: CredentialFileAccess): void {
  const { files, refresher } = access;

  scope.get('/credential-files', async (request) => {
    const rt = request.runtime!;
    const listed = rt.config.providers.flatMap((p) => p.credentials);
    const ids = new Map<string, string>();
    for (const provider of rt.catalog.providers.values()) for (const c of provider.credentials) ids.set(c.key, c.id);
    return files.scan(listed).map((file) => {
      const view = refresher.view(file.path);
      // A listed file serves the provider that lists it; a folder file the one it names.
      const provider = rt.config.providers.find((p) => p.credentials.includes(file.path))?.name ?? file.provider;
      const credential = ids.get(fileStateKey(provider, file));
      return {
        name: basename(file.path),
        folder: dirname(file.path) === files.dir ? 'credentials' : 'listed',
        provider: file.provider,
        type: file.type,
        ...(file.label === undefined ? {} : { label: file.label }),
        ...(credential === undefined ? {} : { credential }),
        ...(view?.expiresAt === undefined ? {} : { expiresAt: new Date(view.expiresAt).toISOString() }),
        refreshing: view?.refreshing ?? false,
        ...(view?.lastError === undefined ? {} : { lastError: view.lastError }),
      };
    });
  });

  scope.post('/credential-files', async (request, reply) => {
    const { name, content } = parseInput(addSchema, request.body, 'body');
    const path = join(files.dir, name);
    const text = `${JSON.stringify(content, null, 2)}\n`;
    try {
      parseCredentialFile(name, text);
    } catch (err) {
      if (err instanceof CredentialFileError) throw gatewayError('invalid_body', `content: ${err.message.slice(name.length + 2)}`);
      throw err;
    }
    // Atomic like every credential write: the watcher never reads half a file.
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, path);
    reply.code(201);
    return { name, provider: content.provider, type: content.type };
  });

  scope.delete<{ Params: { name: string } }>('/credential-files/:name', async (request) => {
    const { name } = request.params;
    if (!NAME.test(name)) throw gatewayError('not_found', `No credential file '${name}'`);
    try {
      await rm(join(files.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw gatewayError('not_found', `No credential file '${name}'`);
      throw err;
    }
    return { name, deleted: true };
  });
}
