/**
 * SOCKS5 tunnels for undici: a `connect` function for an ordinary `Agent`, so connections through
 * a SOCKS5 proxy are pooled, kept alive and timed out exactly like direct ones. Each new
 * connection opens a TCP connection to the proxy, greets it (RFC 1928), authenticates with the
 * URL's user and password when it has them (RFC 1929), asks it to CONNECT to the upstream by
 * name (the proxy resolves it), then hands the socket to undici, with TLS on top for https
 * upstreams.
 *
 * undici 7.30 ships a `Socks5ProxyAgent`, but its per-origin pools ignore the pool options (keep
 * alive, headers and body timeouts), its handshake steps have fixed 5 s timeouts, and it warns
 * on stderr that it is experimental; hence this connector.
 *
 * Error messages never hold the proxy's password (they do not quote the proxy URL at all: the
 * caller names the proxy, without the password).
 *
 * @module
 */
import { type Socket, connect as netConnect, isIP } from 'node:net';
import { buildConnector, errors } from 'undici';

const VERSION = 0x05;
const NO_AUTH = 0x00;
const USER_PASSWORD = 0x02;
const NO_ACCEPTABLE = 0xff;
const CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

/** RFC 1928 section 6 reply codes. */
const REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** Where a SOCKS5 proxy is and who to log in as, from a `socks5://[user:password@]host[:port]` URL. */
export interface Socks5Proxy {
  host: string;
  port: number;
  auth?: { user: string; password: string };
}

export function socks5Proxy(proxyUrl: string | URL): Socks5Proxy {
  const url = typeof proxyUrl === 'string' ? new URL(proxyUrl) : proxyUrl;
  return {
    host: unbracket(url.hostname),
    port: Number(url.port) || 1080,
    auth: url.username ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined,
  };
}

/**
 * An undici connector through `proxy`: the tunnel (TCP to the proxy, greeting, auth, CONNECT)
 * must open within `timeout` ms, and TLS to an https upstream then gets as long again.
 */
export function socks5Connector(proxy: Socks5Proxy, timeout: number): buildConnector.connector {
  const tlsOver = buildConnector({ timeout });
  return (options, callback) => {
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    openSocks5Tunnel(proxy, unbracket(options.hostname), port, timeout).then(
      (socket) => {
        if (options.protocol !== 'https:') return callback(null, socket);
        tlsOver({ ...options, httpSocket: socket }, (err, tlsSocket) => {
          if (err) {
            socket.destroy();
            callback(err, null);
          } else callback(null, tlsSocket!);
        });
      },
      (err: Error) => callback(err, null),
    );
  };
}

/** Opens a TCP tunnel to `host:port` through a SOCKS5 proxy; rejects within `timeout` ms. */
export async function openSocks5Tunnel(proxy: Socks5Proxy, host: string, port: number, timeout: number): Promise<Socket> {
  const socket = netConnect({ host: proxy.host, port: proxy.port });
  // As undici's own connector does for direct sockets.
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  // Stays on for the socket's life: an error after the handshake, before undici listens, must not go unhandled.
  let failure: Error | undefined;
  socket.on('error', (err) => {
    failure ??= err;
  });
  const timer = setTimeout(
    () => socket.destroy(new errors.ConnectTimeoutError(`SOCKS5 tunnel to ${host}:${port} not open after ${timeout} ms`)),
    timeout,
  );
  const read = (n: number) => readExactly(socket, n, () => failure);
  try {
    await new Promise<void>((resolve, reject) => {
      const onClose = () => reject(failure ?? new Error('the SOCKS5 proxy closed the connection'));
      socket.once('close', onClose);
      socket.once('connect', () => {
        socket.off('close', onClose);
        resolve();
      });
    });

    socket.write(Buffer.from(proxy.auth ? [VERSION, 2, NO_AUTH, USER_PASSWORD] : [VERSION, 1, NO_AUTH]));
    const [version, method] = await read(2);
    if (version !== VERSION) throw socksError(`the proxy is not a SOCKS5 proxy (it answered version ${version})`, 'UND_ERR_SOCKS5_VERSION');
    if (method === USER_PASSWORD && proxy.auth) {
      socket.write(authRequest(proxy.auth.user, proxy.auth.password));
      const [, status] = await read(2);
      if (status !== 0x00) throw socksError(`the SOCKS5 proxy refused the username and password of user "${proxy.auth.user}"`, 'UND_ERR_SOCKS5_AUTH_FAILED');
    } else if (method === NO_ACCEPTABLE || method === USER_PASSWORD) {
      throw socksError(
        proxy.auth ? 'the SOCKS5 proxy accepts neither username/password nor no authentication' : 'the SOCKS5 proxy requires a username and password (the proxy URL has none)',
        'UND_ERR_SOCKS5_AUTH_REJECTED',
      );
    } else if (method !== NO_AUTH) {
      throw socksError(`the SOCKS5 proxy chose an authentication method it was not offered (${method})`, 'UND_ERR_SOCKS5_AUTH_METHOD');
    }

    socket.write(connectRequest(host, port));
    const [replyVersion, reply, , atyp] = await read(4);
    if (replyVersion !== VERSION) throw socksError(`the SOCKS5 proxy answered CONNECT with version ${replyVersion}`, 'UND_ERR_SOCKS5_REPLY_VERSION');
    if (reply !== 0x00) throw socksError(`the SOCKS5 proxy could not connect to ${host}:${port}: ${REPLIES[reply!] ?? `reply ${reply}`}`, `UND_ERR_SOCKS5_REPLY_${reply}`);
    // BND.ADDR and BND.PORT: read past them; nothing needs them.
    const addressLength = atyp === ATYP_IPV4 ? 4 : atyp === ATYP_IPV6 ? 16 : atyp === ATYP_DOMAIN ? (await read(1))[0]! : undefined;
    if (addressLength === undefined) throw socksError(`the SOCKS5 proxy answered CONNECT with address type ${atyp}`, 'UND_ERR_SOCKS5_ADDR_TYPE');
    await read(addressLength + 2);
    return socket;
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function socksError(message: string, code: string): Error {
  return new errors.Socks5ProxyError(message, code);
}

/** Reads exactly `n` bytes (in paused mode, so nothing is consumed past the handshake). */
function readExactly(socket: Socket, n: number, failure: () => Error | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const finish = (err: Error | undefined, chunk?: Buffer) => {
      socket.off('readable', tryRead);
      socket.off('close', onClose);
      socket.off('end', onClose);
      if (err) reject(err);
      else resolve(chunk!);
    };
    const tryRead = () => {
      const chunk = socket.read(n) as Buffer | null;
      if (chunk === null) return;
      if (chunk.length < n) finish(failure() ?? new Error('the SOCKS5 proxy closed the connection during the handshake'));
      else finish(undefined, chunk);
    };
    const onClose = () => finish(failure() ?? new Error('the SOCKS5 proxy closed the connection during the handshake'));
    if (socket.destroyed) return onClose();
    socket.on('readable', tryRead);
    socket.once('end', onClose);
    socket.once('close', onClose);
    tryRead();
  });
}

/** RFC 1929 username/password request. */
function authRequest(user: string, password: string): Buffer {
  const u = Buffer.from(user);
  const p = Buffer.from(password);
  if (u.length > 255 || p.length > 255) throw socksError('the SOCKS5 username or password is longer than 255 bytes', 'UND_ERR_SOCKS5_AUTH_LENGTH');
  return Buffer.concat([Buffer.from([0x01, u.length]), u, Buffer.from([p.length]), p]);
}

/** CONNECT to `host:port`: IP literals as addresses, names as names (the proxy resolves them). */
export function connectRequest(host: string, port: number): Buffer {
  let address: Buffer;
  switch (isIP(host)) {
    case 4:
      address = Buffer.from([ATYP_IPV4, ...host.split('.').map(Number)]);
      break;
    case 6:
      address = Buffer.concat([Buffer.from([ATYP_IPV6]), ipv6Bytes(host)]);
      break;
    default: {
      const name = Buffer.from(host);
      if (name.length > 255) throw socksError(`the host name ${host.slice(0, 64)}... is too long for SOCKS5`, 'UND_ERR_SOCKS5_ADDR_LENGTH');
      address = Buffer.concat([Buffer.from([ATYP_DOMAIN, name.length]), name]);
    }
  }
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([VERSION, CONNECT, 0x00]), address, portBytes]);
}

/** The 16 bytes of an IPv6 literal (`::` and a dotted IPv4 tail allowed; a zone id dropped). */
function ipv6Bytes(ip: string): Buffer {
  let text = ip.split('%')[0]!;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
