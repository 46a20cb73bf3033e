#!/usr/bin/env node
// What tracing costs: the production build (dist/, `npm run build` first) on the embedded database, started with
// and without OTEL_EXPORTER_OTLP_ENDPOINT (spans to a local OTLP/HTTP receiver that accepts and drops them), then
// driven with autocannon on two routes. Reports the time to the first healthy /healthz, the CPU the process used
// to get there, and its CPU per request under load (from /proc/<pid>/stat), as medians of the runs.
// Usage: node scripts/measure-tracing.js [runs=3] [seconds=8]
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');

const RUNS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 8);
const TICKS_PER_SECOND = 100;
// MEASURE_SAMPLER=always_off (or parentbased_traceidratio, with MEASURE_SAMPLER_ARG) measures tracing with fewer spans.
const sampler = process.env.MEASURE_SAMPLER
  ? { OTEL_TRACES_SAMPLER: process.env.MEASURE_SAMPLER, OTEL_TRACES_SAMPLER_ARG: process.env.MEASURE_SAMPLER_ARG ?? '' }
  : {};

const cpuMsOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function sink() {
  let spans = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      spans += (body.match(/"spanId"/g) ?? []).length;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, spans: () => spans, close: () => server.close() };
}

async function start(env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'aura-tracing-'));
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const started = Date.now();
  const child = spawn(process.execPath, ['--max-old-space-size=192', '--max-semi-space-size=16', 'dist/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      RATE_LIMIT_LIMIT: '10000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      const bootMs = Date.now() - started;
      const bootCpuMs = cpuMsOf(child.pid);
      const key = output.match(/public\s+(aak_dev_\S+)/)?.[1];
      return {
        child,
        url,
        key,
        bootMs,
        bootCpuMs,
        stop: async () => {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`no healthy service:\n${output}`);
}

async function load(service, path, headers) {
  // Warm-up, then the measured run.
  await autocannon({ url: service.url + path, headers, connections: 20, duration: 2 });
  const before = cpuMsOf(service.child.pid);
  const result = await autocannon({ url: service.url + path, headers, connections: 20, duration: SECONDS });
  const cpuMs = cpuMsOf(service.child.pid) - before;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return { rps: result.requests.average, cpuMsPerRequest: cpuMs / result.requests.total, p99: result.latency.p99 };
}

async function main() {
  const receiver = await sink();
  const rows = { off: [], on: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const mode of ['off', 'on']) {
      const service = await start(mode === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...sampler } : {});
      const config = await load(service, '/config', { 'x-api-key': service.key });
      const jwk = await load(service, '/openid/jwk', {});
      await service.stop();
      rows[mode].push({ bootMs: service.bootMs, bootCpuMs: service.bootCpuMs, config, jwk });
      console.error(mode, JSON.stringify(rows[mode].at(-1)));
    }
  }
  const summary = {};
  for (const mode of ['off', 'on']) {
    const list = rows[mode];
    summary[mode] = {
      bootMs: median(list.map((r) => r.bootMs)),
      bootCpuMs: median(list.map((r) => r.bootCpuMs)),
      configCpuMsPerRequest: +median(list.map((r) => r.config.cpuMsPerRequest)).toFixed(3),
      configRps: Math.round(median(list.map((r) => r.config.rps))),
      configP99: median(list.map((r) => r.config.p99)),
      jwkCpuMsPerRequest: +median(list.map((r) => r.jwk.cpuMsPerRequest)).toFixed(3),
      jwkRps: Math.round(median(list.map((r) => r.jwk.rps))),
      jwkP99: median(list.map((r) => r.jwk.p99)),
    };
  }
  summary.spansReceived = receiver.spans();
  receiver.close();
  console.log(JSON.stringify(summary, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
