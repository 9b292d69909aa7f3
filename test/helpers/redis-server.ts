/**
 * Real `redis-server` processes for tests (Redis 7 on PATH, never the machine's shared 6379):
 * a single server that can be killed, restarted on the same port (data lost, as after a crash
 * without persistence) or frozen with SIGSTOP; a Sentinel watching one; a 3-master Cluster.
 * Each listens on 127.0.0.1 on a free port and on a unix socket in its own temp folder. Every
 * wait is bounded; every process is killed by `stop()` (call it in `afterAll`) and, as a last
 * resort, when the test process exits.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  /** `redis://[:password@]127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The unix socket it also listens on. */
  readonly socketPath: string;
  /** Kills the process (SIGKILL unless told) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it if running and starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** Kills it and removes its folder; safe to call twice. */
  stop(): Promise<void>;
  /** True while no process is running (killed or stopped). */
  readonly stopped: boolean;
}

export interface StartRedisOptions {
  /** `requirepass`. */
  password?: string;
  /** A port to use (e.g. one a client already waits on); default a free one. */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--user', 'alice', 'on', '>pw', '~*', '&*', '+@all']`. */
  args?: string[];
}

const WAIT_MS = 10_000;
const running = new Set<ChildProcess>();
// A test process that dies without afterAll must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `redis-cli` against 127.0.0.1:`port`; resolves with its output, rejects on failure or after `timeoutMs`. */
export function redisCli(port: number, args: string[], password?: string, timeoutMs = 3000): Promise<string> {
  const auth = password === undefined ? [] : ['--no-auth-warning', '-a', password];
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...auth, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** Polls `check` until it holds; throws `what` after {@link WAIT_MS}. */
async function waitFor(what: string, check: () => Promise<boolean>, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (!alive()) throw new Error(`${what}: the process exited`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await sleep(25);
  }
}

/** A `redis-server` (or `--sentinel`) process that can be killed and started again on its port. */
class Process {
  child: ChildProcess | undefined;
  output = '';
  constructor(
    readonly args: () => string[],
    readonly ready: () => Promise<boolean>,
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.output = '';
    const child = spawn('redis-server', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // Without the binary, say what to install rather than crash the test process.
    child.once('error', (err) => void (this.output += `cannot run redis-server (${err.message}): install Debian's redis-server package or put redis-server on PATH\n`));
    running.add(child);
    child.once('exit', () => running.delete(child));
    const keep = (chunk: Buffer) => void (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    try {
      await waitFor('redis-server start', this.ready, () => this.alive);
    } catch (err) {
      await this.kill();
      throw new Error(`${(err as Error).message}\n${this.output}`);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // A stopped process only acts on SIGKILL; SIGCONT lets a SIGTERM through too.
    child.kill('SIGCONT');
    child.kill(signal);
    await Promise.race([exited, sleep(WAIT_MS).then(() => child.kill('SIGKILL'))]);
    await exited;
  }
}

/** Starts one `redis-server` on 127.0.0.1 and a unix socket; resolves once it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-'));
  const socketPath = join(dir, 'redis.sock');
  let port = options.port ?? (await freePort());
  const args = () => [
    '--port', String(port), '--bind', '127.0.0.1', '--unixsocket', socketPath, '--unixsocketperm', '700',
    '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []),
  ];
  const ping = async () => /PONG|NOAUTH/.test(await redisCli(port, ['PING'], options.password));
  const proc = new Process(args, ping);
  for (let attempt = 0; ; attempt++) {
    try {
      await proc.start();
      break;
    } catch (err) {
      // The free port was taken between the check and the bind: pick another.
      if (options.port !== undefined || attempt >= 2 || !/Address already in use/.test(String(err))) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
    }
  }
  let closed = false;
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return {
    get url() {
      return `redis://${auth}127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    socketPath,
    kill: (signal) => proc.kill(signal),
    async restart() {
      await proc.kill();
      await proc.start();
    },
    pause: () => void proc.child?.kill('SIGSTOP'),
    resume: () => void proc.child?.kill('SIGCONT'),
    async stop() {
      await proc.kill();
      if (!closed) rmSync(dir, { recursive: true, force: true });
      closed = true;
    },
    get stopped() {
      return !proc.alive;
    },
  };
}

export interface RedisSentinelSet {
  /** `redis+sentinel://127.0.0.1:<p1>,127.0.0.1:<p2>/<masterName>` (no credentials). */
  readonly url: string;
  readonly masterName: string;
  readonly master: RedisServer;
  readonly ports: number[];
  /** Stops the sentinels and the master. */
  stop(): Promise<void>;
}

/**
 * Starts a master (with `masterPassword` as its `requirepass`, if given) and `sentinels` Sentinel
 * processes monitoring it; resolves once each Sentinel reports the master's address.
 */
export async function startSentinel(options: { sentinels?: number; masterName?: string; masterPassword?: string } = {}): Promise<RedisSentinelSet> {
  const masterName = options.masterName ?? 'switchyard';
  const master = await startRedis({ password: options.masterPassword });
  const procs: Process[] = [];
  const ports: number[] = [];
  const dirs: string[] = [];
  try {
    for (let i = 0; i < (options.sentinels ?? 1); i++) {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-sentinel-'));
      dirs.push(dir);
      const port = await freePort();
      const conf = join(dir, 'sentinel.conf');
      // Sentinel rewrites its config file, so it lives in the temp folder.
      const lines = [
        `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'daemonize no', 'logfile ""', 'loglevel warning',
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${masterName} 5000`,
        ...(options.masterPassword === undefined ? [] : [`sentinel auth-pass ${masterName} ${options.masterPassword}`]),
      ];
      writeFileSync(conf, `${lines.join('\n')}\n`);
      const proc = new Process(
        () => [conf, '--sentinel'],
        async () => (await redisCli(port, ['SENTINEL', 'get-master-addr-by-name', masterName])).includes(String(master.port)),
      );
      await proc.start();
      procs.push(proc);
      ports.push(port);
    }
  } catch (err) {
    await Promise.all([...procs.map((p) => p.kill()), master.stop()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis+sentinel://${ports.map((p) => `127.0.0.1:${p}`).join(',')}/${masterName}`,
    masterName,
    master,
    ports,
    async stop() {
      await Promise.all([...procs.map((p) => p.kill()), master.stop()]);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisClusterSet {
  /** `redis+cluster://[:password@]127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>`. */
  readonly url: string;
  readonly nodes: RedisServer[];
  stop(): Promise<void>;
}

/** Starts 3 cluster-enabled masters, joins them with `redis-cli --cluster create`, waits for `cluster_state:ok` on each. */
export async function startRedisCluster(options: { password?: string } = {}): Promise<RedisClusterSet> {
  const nodes: RedisServer[] = [];
  const stop = () => Promise.all(nodes.map((n) => n.stop())).then(() => undefined);
  try {
    for (let i = 0; i < 3; i++) {
      const auth = options.password === undefined ? [] : ['--masterauth', options.password];
      // The nodes file sits in the server's own folder (its --dir), one per node.
      // The bus port defaults to port + 10000, which can be taken or past 65535: pick one.
      const bus = String(await freePort());
      nodes.push(await startRedis({ password: options.password, args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', bus, '--cluster-node-timeout', '5000', ...auth] }));
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await redisCli(nodes[0]!.port, ['--cluster', 'create', ...addresses, '--cluster-yes'], options.password, 20_000);
    for (const node of nodes) {
      await waitFor('cluster_state:ok', async () => (await redisCli(node.port, ['CLUSTER', 'INFO'], options.password)).includes('cluster_state:ok'));
    }
    const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
    return { url: `redis+cluster://${auth}${addresses.join(',')}`, nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
