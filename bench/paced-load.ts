/**
 * An open-loop load at a fixed rate: one request every 1/rate seconds on a schedule that does not wait for
 * responses, each latency measured from the moment the request was due. autocannon's rate options send each
 * second's quota as one burst (every connection back to back, then idle), which measures a saturated server;
 * this measures the latency a caller sees when the service is not saturated.
 */
import { Agent, request } from 'node:http';

export interface PacedLoadOptions {
  url: string;
  rate: number;
  durationSeconds: number;
  headers: Record<string, string>;
  path(): string;
}

/** What one load run measured, paced or not (bench/run.ts reads autocannon's result into the same shape). */
export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  non2xx: number;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const total = options.rate * options.durationSeconds;
  const intervalMs = 1000 / options.rate;
  const start = performance.now();
  const pending: Promise<void>[] = [];

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const req = request(`${options.url}${options.path()}`, { agent, headers: options.headers }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - due);
          if (response.statusCode === undefined || response.statusCode >= 300) {
            non2xx++;
          }
          resolve();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });

  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Everything due by now goes out at once, so a late timer does not lower the rate.
    while (sent < total && start + sent * intervalMs <= now) {
      pending.push(send(start + sent * intervalMs));
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const elapsedSeconds = (performance.now() - start) / 1000;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies.length === 0
      ? NaN
      : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] * 10) / 10;
  return {
    requests: sent,
    requestsPerSecond: Math.round(latencies.length / elapsedSeconds),
    p50: percentile(0.5),
    p99: percentile(0.99),
    p999: percentile(0.999),
    errors,
    non2xx,
  };
}
