/**
 * `npm run bench:floor`: what NestJS itself costs per request on Fastify, the floor under every route of the
 * service. Two servers answer one route the way GET /openid/jwk does (prepared bytes and an ETag, written by the
 * handler through the reply): bare Fastify, and Nest on the same Fastify with the service's adapter choices (no
 * middie, no body parsers) and two global guards that admit synchronously, as the service's two do on a keyless
 * route. Neither logs, counts or sets other headers: what differs is Nest alone.
 *
 * Pinned like `npm run bench` (the server on CPU 0, this process, the load generator, on CPU 1), each server is
 * measured in turn, BENCH_FLOOR_ROUNDS (5) times alternately, BENCH_FLOOR_SECONDS (8) each after a 3 s warm-up.
 * Reported: the median CPU µs per request of each, the difference, and that difference beside the JWKS gap
 * between the service and the feature-parity baseline in the last full run (bench-results/latest.json).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type CanActivate, Controller, Get, Injectable, Module, Req, Res } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import Fastify, { type FastifyReply } from 'fastify';
import { strongEntityTag } from 'src/openid/entity-tag';
import { cpuMs, median, pin } from './process-stats';

const ROUNDS = Number(process.env.BENCH_FLOOR_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_FLOOR_SECONDS ?? 8);
const CONNECTIONS = 50;
const LATEST = 'bench-results/latest.json';
const JWKS_SCENARIO = 'GET /openid/jwk';

/** A key set of the service's size: two P-256 public keys. */
const key = (kid: string) => ({
  kty: 'EC',
  crv: 'P-256',
  alg: 'ES256',
  use: 'sig',
  kid,
  x: 'x'.repeat(43),
  y: 'y'.repeat(43),
});
const BODY = JSON.stringify({ keys: [key('current'), key('next')] });
const HEADERS = { etag: strongEntityTag(BODY), 'content-type': 'application/json; charset=utf-8' };

const send = (reply: FastifyReply) => void reply.headers(HEADERS).send(BODY);

@Controller('openid')
class FloorController {
  @Get('jwk')
  jwks(@Req() _request: unknown, @Res() reply: FastifyReply): void {
    send(reply);
  }
}

@Injectable()
class AdmitGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Module({
  controllers: [FloorController],
  providers: [
    { provide: APP_GUARD, useClass: AdmitGuard },
    { provide: APP_GUARD, useClass: AdmitGuard },
  ],
})
class FloorModule {}

const SERVERS = {
  fastify: async () => {
    const app = Fastify();
    app.get('/openid/jwk', (_request, reply) => send(reply));
    return app.listen({ port: 0, host: '127.0.0.1' });
  },
  nest: async () => {
    const app = await NestFactory.create<NestFastifyApplication>(
      FloorModule,
      new FastifyAdapter({ skipMiddie: true }),
      {
        logger: false,
        bodyParser: false,
      },
    );
    await app.listen(0, '127.0.0.1');
    return app.getUrl();
  },
};
type Kind = keyof typeof SERVERS;

async function measure(kind: Kind, pinned: boolean): Promise<{ cpuMicros: number; requestsPerSecond: number }> {
  const child: ChildProcess = fork(__filename, ['serve', kind], { stdio: 'inherit' });
  const url = await new Promise<string>((resolve) => child.once('message', (message: string) => resolve(message)));
  const pid = child.pid!;
  if (pinned && !pin(pid, 0)) {
    throw new Error(`Could not pin the ${kind} server (taskset)`);
  }
  const load = (duration: number) => autocannon({ url: `${url}/openid/jwk`, connections: CONNECTIONS, duration });
  await load(3);
  const before = cpuMs(pid);
  const result = await load(SECONDS);
  const used = cpuMs(pid) - before;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${kind}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
  }
  return { cpuMicros: (1000 * used) / result.requests.total, requestsPerSecond: result.requests.average };
}

/** The JWKS figures of the last full run: the service's and the parity baseline's CPU µs per request. */
function lastJwksRun(): { service: number; parity: number; date: string } | undefined {
  if (!existsSync(LATEST)) {
    return undefined;
  }
  const report = JSON.parse(readFileSync(LATEST, 'utf8')) as {
    date: string;
    results: { name: string; service: { cpuMsPerRequest: number }; parity?: { cpuMsPerRequest: number } }[];
  };
  const jwks = report.results.find((result) => result.name === JWKS_SCENARIO);
  return jwks?.parity === undefined
    ? undefined
    : { service: jwks.service.cpuMsPerRequest * 1000, parity: jwks.parity.cpuMsPerRequest * 1000, date: report.date };
}

async function main(): Promise<void> {
  const pinned = cpus().length >= 2;
  if (pinned && !pin(process.pid, 1)) {
    throw new Error('Could not pin the load generator (taskset)');
  }
  console.log(
    `Framework floor: ${ROUNDS} rounds of ${SECONDS} s per server, ${CONNECTIONS} connections, ` +
      (pinned ? 'server on CPU 0, load on CPU 1.' : 'not pinned (a single CPU).'),
  );
  const runs: Record<Kind, { cpuMicros: number; requestsPerSecond: number }[]> = { fastify: [], nest: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of Object.keys(SERVERS) as Kind[]) {
      const run = await measure(kind, pinned);
      runs[kind].push(run);
      console.log(
        `  round ${round} ${kind.padEnd(7)} ${run.cpuMicros.toFixed(1)} µs/req, ${Math.round(run.requestsPerSecond)} req/s`,
      );
    }
  }
  const fastify = median(runs.fastify.map((run) => run.cpuMicros));
  const nest = median(runs.nest.map((run) => run.cpuMicros));
  console.log(`Median CPU per request: Fastify ${fastify.toFixed(1)} µs, Nest on Fastify ${nest.toFixed(1)} µs.`);
  console.log(
    `Nest's floor: ${(nest - fastify).toFixed(1)} µs per request (${(nest / fastify).toFixed(2)}× bare Fastify).`,
  );
  const jwks = lastJwksRun();
  if (jwks !== undefined) {
    const gap = jwks.service - jwks.parity;
    console.log(
      `${JWKS_SCENARIO} in ${LATEST} (${jwks.date}): service ${jwks.service.toFixed(0)} µs, parity baseline ` +
        `${jwks.parity.toFixed(0)} µs, a gap of ${gap.toFixed(0)} µs; Nest's floor is ${((100 * (nest - fastify)) / gap).toFixed(0)} % of it. ` +
        `A 0.8 ratio allows ${(jwks.parity / 0.8 - jwks.parity).toFixed(0)} µs.`,
    );
  }
}

if (process.argv[2] === 'serve') {
  void SERVERS[process.argv[3] as Kind]().then((url) => process.send?.(url));
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
