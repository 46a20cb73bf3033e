import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ENTRY, SERVICE_ENTRY } from 'src/build-paths';
import { BOOT_WAIT_MS, startService } from '../support/built-service';

/** `npm start` on a fresh machine: the production build on the embedded database, nothing else. */
describe('first start on the embedded database', () => {
  // Two production boots in one test, each allowed BOOT_WAIT_MS: Jest's default 120 s would be shorter.
  jest.setTimeout(2 * BOOT_WAIT_MS + 60_000);
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aura-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('should become healthy, print one development key per tier once, and keep its data across restarts', async () => {
    const env = { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const started = Date.now();
    const first = await startService(env);
    const bootMs = Date.now() - started;
    const keys = [...first.output().matchAll(/(internal|kernel|public)\s+(aak_dev_[0-9a-f]{10}_[0-9a-f]{40})/g)];
    expect(keys.map((match) => match[1])).toEqual(['internal', 'kernel', 'public']);
    const publicKey = keys[2][2];
    const config = await fetch(`${first.baseUrl}/config`, { headers: { 'x-api-key': publicKey } });
    expect(config.status).toBe(200);
    first.process.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startService(env);
    expect(second.output()).not.toContain('DEVELOPMENT API KEYS');
    expect((await fetch(`${second.baseUrl}/config`, { headers: { 'x-api-key': publicKey } })).status).toBe(200);
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    console.log(`first start on an empty data folder: healthy after ${bootMs} ms`);
  });

  it('should read optional variables in the production build: DATABASE_URL is used, not the embedded database', () => {
    const result = spawnSync(process.execPath, [CLI_ENTRY, 'migrations', 'show'], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, DATABASE_URL: 'postgres://aura@127.0.0.1:1/nowhere' },
      encoding: 'utf8',
      // A bound on a hung process, not on speed: at a load average of 22 even a refusal took longer than 20 s.
      timeout: BOOT_WAIT_MS,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ECONNREFUSED');
  });

  it.each([
    [{ NODE_ENV: 'production' }, 'DATABASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
  ])('should refuse to start with %j, naming %s', (env, variable) => {
    const result = spawnSync(process.execPath, [SERVICE_ENTRY], {
      env: { PATH: process.env.PATH, DATA_DIR: 'memory://', ...env },
      encoding: 'utf8',
      // A bound on a hung process, not on speed: at a load average of 22 even a refusal took longer than 20 s.
      timeout: BOOT_WAIT_MS,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(variable);
  });
});
