import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { SERVICE_ENTRY } from 'src/build-paths';

const ENTRY = SERVICE_ENTRY;

/**
 * The production build, rebuilt when any source is newer (the same check as `npm start`): process-level tests
 * run exactly what ships. Called once, from the global setup, so that parallel test files never build at once.
 */
export function ensureBuilt(): void {
  execFileSync(process.execPath, ['scripts/build-if-stale.js'], { stdio: 'inherit' });
}

/** A port that was free a moment ago: something else may take it before it is bound (see onFreePort). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Runs `start` with a free port, and again with another one when something else bound it in between
 * (EADDRINUSE): for listeners that cannot be told port 0 and report the port they got (METRICS_PORT). Servers
 * that can bind port 0 do that instead.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt >= attempts || !String((error as Error | undefined)?.message).includes('EADDRINUSE')) {
        throw error;
      }
    }
  }
}

export interface RunningService {
  process: ChildProcess;
  baseUrl: string;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * How long a production boot may take: 20-45 s on a loaded shared machine, over 90 s seen at a load average of
 * 19 (two busy loops and other people's test runs on 2 cores). A bound on a wait, not a measure of speed.
 */
export const BOOT_WAIT_MS = 180_000;

/**
 * Starts the production entry (`node dist/main.js`) as production runs it, and waits until /healthz answers 200.
 * It listens on the port the system gives it (PORT=0 unless `env` sets one) and tells the address over an IPC
 * channel (src/bootstrap.ts `listen`): no port is chosen here that another process could take first.
 */
export async function startService(env: Record<string, string | undefined>): Promise<RunningService> {
  if (!existsSync(ENTRY)) {
    throw new Error(`${ENTRY} is missing: the global setup builds it`);
  }
  let output = '';
  // Loopback unless the test binds elsewhere; reached through IPv4 loopback unless bound to IPv6 only.
  const host = env.HOST ?? '127.0.0.1';
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH, ...env, PORT: env.PORT ?? '0', HOST: host },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close': exited, and all it wrote is in `output` (why it failed to listen, such as EADDRINUSE, included).
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + BOOT_WAIT_MS;
  const failed = (why: string): Error => {
    child.kill('SIGKILL');
    return new Error(`service ${why}:\n${output}`);
  };

  const listening = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), BOOT_WAIT_MS);
    child.on('message', (message) => {
      const url = (message as { listening?: unknown } | null)?.listening;
      if (typeof url === 'string') {
        clearTimeout(timer);
        resolve(url);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
  if (listening === undefined) {
    throw failed(child.exitCode === null ? `did not listen within ${BOOT_WAIT_MS} ms` : 'exited before it listened');
  }
  // Nothing more comes over the channel: it must not keep the test's process alive. (Not disconnect(): the
  // child's 'close' would then never come.)
  child.channel?.unref();
  const port = new URL(listening).port;
  const baseUrl = host.includes(':') ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`;
  while (Date.now() < deadline && child.exitCode === null) {
    const healthy = await fetch(`${baseUrl}/healthz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (healthy) {
      return { process: child, baseUrl, output: () => output, exited };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw failed('did not become healthy');
}

/** Replicas of the production build on one database, started one after the other (two boots at once can
 * outlast the health wait on a loaded machine). */
export async function startReplicas(env: Record<string, string | undefined>, count = 2): Promise<RunningService[]> {
  const replicas: RunningService[] = [];
  for (let i = 0; i < count; i++) {
    replicas.push(await startService(env));
  }
  return replicas;
}

export async function stopReplicas(replicas: RunningService[]): Promise<void> {
  for (const replica of replicas) {
    replica.process.kill('SIGTERM');
    await replica.exited;
  }
}

/** One line of a replica's /metrics (a public-tier endpoint: Prometheus scrapes it with a key). */
export async function metricLine(
  replica: RunningService,
  scrapeKey: string,
  name: string,
): Promise<string | undefined> {
  const text = await (await fetch(`${replica.baseUrl}/metrics`, { headers: { 'x-api-key': scrapeKey } })).text();
  return text.split('\n').find((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
}

/** Polls `probe` until it answers `status`: the moment it did (epoch ms), or undefined past `withinMs`. */
export async function statusSeenAt(
  probe: () => Promise<number>,
  status: number,
  withinMs: number,
  pauseMs = 2,
): Promise<number | undefined> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if ((await probe()) === status) {
      return Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return undefined;
}
