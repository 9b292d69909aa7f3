/**
 * Real outbound proxies on loopback for tests: an HTTP CONNECT proxy and a SOCKS5 proxy
 * (RFC 1928, with RFC 1929 username/password auth). Each records every tunnel it opened (its
 * target) and every credential it was given, and refuses wrong credentials. Plus a black hole:
 * a listener that accepts connections and never answers (for connect timeouts).
 */
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';

export interface TestProxy {
  /** e.g. `http://user:pass@127.0.0.1:PORT` */
  url: string;
  /** `host:port` of each tunnel opened, in order. */
  tunnels: string[];
  /** `user:password` of each attempt to log in, right or wrong, in order. */
  credentials: string[];
  /** Attempts refused for bad credentials. */
  refused: number;
  close(): Promise<void>;
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

function closer(server: { close(cb: () => void): void; closeAllConnections?: () => void }, sockets: Set<Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
}

/** An HTTP proxy that only tunnels (CONNECT), with Basic `Proxy-Authorization`. */
export async function startConnectProxy(user = 'proxyuser', password = 'proxy-secret-pw'): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const proxy: TestProxy = { url: '', tunnels: [], credentials: [], refused: 0, close: async () => {} };
  const server = createHttpServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket) => {
    sockets.add(client);
    client.on('error', () => undefined);
    const given = req.headers['proxy-authorization'];
    if (given?.startsWith('Basic ')) proxy.credentials.push(Buffer.from(given.slice(6), 'base64').toString());
    if (given !== expected) {
      proxy.refused++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const [host, port] = req.url!.split(':');
    proxy.tunnels.push(req.url!);
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      pipeBoth(client, upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxy.url = `http://${user}:${password}@127.0.0.1:${port}`;
  proxy.close = closer(server, sockets);
  return proxy;
}

/** A SOCKS5 proxy requiring username/password auth, CONNECT only. */
export async function startSocks5Proxy(user = 'socksuser', password = 'socks-secret-pw'): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const proxy: TestProxy = { url: '', tunnels: [], credentials: [], refused: 0, close: async () => {} };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    let stage: 'greeting' | 'auth' | 'request' = 'greeting';
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return;
        const methods = buffer.subarray(2, 2 + buffer[1]!);
        buffer = buffer.subarray(2 + buffer[1]!);
        if (!methods.includes(0x02)) return void client.end(Buffer.from([0x05, 0xff]));
        client.write(Buffer.from([0x05, 0x02]));
        stage = 'auth';
      }
      if (stage === 'auth') {
        if (buffer.length < 2) return;
        const ulen = buffer[1]!;
        if (buffer.length < 3 + ulen) return;
        const plen = buffer[2 + ulen]!;
        if (buffer.length < 3 + ulen + plen) return;
        const u = buffer.subarray(2, 2 + ulen).toString();
        const p = buffer.subarray(3 + ulen, 3 + ulen + plen).toString();
        buffer = buffer.subarray(3 + ulen + plen);
        proxy.credentials.push(`${u}:${p}`);
        if (u !== user || p !== password) {
          proxy.refused++;
          return void client.end(Buffer.from([0x01, 0x01]));
        }
        client.write(Buffer.from([0x01, 0x00]));
        stage = 'request';
      }
      if (stage === 'request') {
        if (buffer.length < 5) return;
        const atyp = buffer[3]!;
        let host: string;
        let offset: number;
        if (atyp === 0x01) {
          if (buffer.length < 10) return;
          host = [...buffer.subarray(4, 8)].join('.');
          offset = 8;
        } else if (atyp === 0x03) {
          const len = buffer[4]!;
          if (buffer.length < 5 + len + 2) return;
          host = buffer.subarray(5, 5 + len).toString();
          offset = 5 + len;
        } else {
          return void client.end(Buffer.from([0x05, 0x08, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
        }
        const port = buffer.readUInt16BE(offset);
        const rest = buffer.subarray(offset + 2);
        client.off('data', onData);
        proxy.tunnels.push(`${host}:${port}`);
        const upstream = connect(port, host, () => {
          client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 0]));
          if (rest.length > 0) upstream.write(rest);
          pipeBoth(client, upstream);
        });
        sockets.add(upstream);
        upstream.on('error', () => client.destroy());
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxy.url = `socks5://${user}:${password}@127.0.0.1:${port}`;
  proxy.close = closer(server, sockets);
  return proxy;
}

/** A listener that accepts connections and never says a word. */
export async function startBlackHole(): Promise<{ url: (scheme: string) => string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: (scheme) => `${scheme}://user:black-hole-pw@127.0.0.1:${port}`, close: closer(server, sockets) };
}
