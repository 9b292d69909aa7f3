/**
 * The operator console at `/console`: the built single-page app of the `@switchyard/console`
 * package (`console/dist`), served as static files. The page itself needs no key (its login
 * asks for the management key, which every call it then makes carries), so these routes sit
 * outside client-key auth. Hashed assets are cached for good; index.html never is, so a new
 * build shows at the next load. Any other path below `/console/` gets index.html, so the
 * app's own routes survive a reload.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * `console/dist` of the repository. This file is `host/src/http/console.ts` when run from
 * source and `host/dist/http/console.js` when built: three levels below the repository either way.
 */
const DEFAULT_ROOT = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may only talk to its own origin: the policy enforces "nothing loaded from the
 * internet" in the browser too. Styles allow inline attributes (SVG charts set them).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = 'The Switchyard console is not built: console/dist is missing. Run `npm run build` in the repository (it builds the host and the console), then reload this page.\n';

/**
 * Registers `GET /console` and `GET /console/*` on `app`, serving the files of `root`
 * (default: the repository's `console/dist`). Answers 503 with how to build it when the
 * build is missing.
 */
export function registerConsole(app: FastifyInstance, root: string = DEFAULT_ROOT): void {
  const base = resolve(root);

  const sendIndex = async (reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(resolve(base, 'index.html'));
    } catch {
      return reply.code(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(NOT_BUILT);
    }
    return reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').type(TYPES['.html']!).send(html);
  };

  app.get('/console', (_request, reply) => sendIndex(reply));
  app.get<{ Params: { '*': string } }>('/console/*', async (request, reply) => {
    const wanted = request.params['*'];
    if (wanted === '' || wanted === 'index.html') return sendIndex(reply);
    // Resolved against the root and checked to stay inside it: `..`, encoded or not, and absolute paths go nowhere.
    const file = resolve(base, wanted);
    if (!file.startsWith(base + sep)) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) {
      const body = await readFile(file);
      // Vite names everything under assets/ by content hash: a changed file gets a new name.
      const cache = wanted.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return reply
        .headers(SECURITY_HEADERS)
        .header('cache-control', cache)
        .type(TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
        .send(body);
    }
    // A missing asset is a 404 (an HTML page in its place would be read as a broken script);
    // any other path is one of the app's own routes.
    if (wanted.startsWith('assets/') || extname(wanted) !== '') return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    return sendIndex(reply);
  });
}
