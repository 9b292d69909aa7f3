/**
 * How the host serves the console's files (host/src/http/console.ts): index.html for
 * `/console` and for the app's own routes, content types, caching (hashed assets for good,
 * index.html never), no way out of the folder, a 404 for a missing asset, and a 503 that says
 * how to build when there is no build. Also: the page needs no client key, and the real
 * gateway serves the real build.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from '../../host/src/http/console.js';
import { type TestHost, startHost } from '../helpers/host.js';

let dir: string;
let app: FastifyInstance;
let bare: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-console-'));
  const dist = join(dir, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  await writeFile(join(dist, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(join(dir, 'secret.txt'), 'outside the dist folder');
  app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  registerConsole(app, dist);
  bare = Fastify();
  registerConsole(bare, join(dir, 'missing'));
});
afterAll(async () => {
  await app?.close();
  await bare?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('console static files', () => {
  it('answers /console and /console/ with index.html, never cached', async () => {
    for (const url of ['/console', '/console/', '/console/index.html']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.body).toContain('<title>console</title>');
    }
  });

  it("answers the app's own routes with index.html, so a reload keeps the page", async () => {
    for (const url of ['/console/credentials', '/console/requests/3f2a-77', '/console/usage?x=1']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<title>console</title>');
    }
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const js = await app.inject('/console/assets/index-abc123.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    const css = await app.inject('/console/assets/index-abc123.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers a missing asset 404, not with the page', async () => {
    for (const url of ['/console/assets/gone-000.js', '/console/logo.png']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('<title>');
    }
  });

  it('never serves a file outside its folder', async () => {
    for (const url of ['/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/assets/%2e%2e/%2e%2e/secret.txt', '/console/..%2fsecret.txt', '/console/%2fetc%2fpasswd']) {
      const res = await app.inject(url);
      expect(res.body, url).not.toContain('outside the dist folder');
      expect(res.body, url).not.toContain('root:');
    }
  });

  it('answers 503 saying how to build when the console is not built', async () => {
    const res = await bare.inject('/console/credentials');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toContain('npm run build');
  });
});

describe('the gateway serves the built console', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startHost({ managementKey: 'mgmt-static' });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('without a client key, and its assets load', async () => {
    const res = await fetch(`${host.url}/console`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const a = await fetch(host.url + asset);
      expect(a.status, asset).toBe(200);
      expect(a.headers.get('cache-control')).toContain('immutable');
      await a.arrayBuffer();
    }
    // Nothing the page loads comes from elsewhere.
    expect(html).not.toMatch(/(?:src|href)="https?:/);
  });
});
