import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runApiKeysCommand } from 'src/cli/api-keys.command';
import { runCallbackCommand } from 'src/cli/callback.command';
import type { AppConfig } from 'src/config/app-config';
import { freshDatabase, testConfig, type TestDatabase } from '../support/test-app';
import { CLI_ENTRY } from 'src/build-paths';

/** The operator commands, run in-process exactly as `node dist/cli/main.js …` runs them. */
describe('operator CLI', () => {
  let database: TestDatabase;
  let config: AppConfig;
  let printed: string[];
  let errors: string[];

  beforeAll(async () => {
    database = await freshDatabase({ persistent: true });
    config = testConfig(database);
  });
  afterAll(() => database.drop());
  beforeEach(() => {
    printed = [];
    errors = [];
    jest.spyOn(console, 'log').mockImplementation((text: string) => void printed.push(text));
    jest.spyOn(console, 'error').mockImplementation((text: string) => void errors.push(text));
  });
  afterEach(() => jest.restoreAllMocks());

  it('should create, list, rotate and revoke keys, printing the secret only on create and rotate', async () => {
    expect(
      await runApiKeysCommand(config, 'create', [], {
        name: 'aura-bot',
        tier: 'internal',
        channel: 'whatsapp',
        json: true,
      }),
    ).toBe(0);
    const created = JSON.parse(printed[0]) as {
      id: string;
      key: string;
      name: string;
      tier: string;
      channel: string;
      expiresAt: null;
    };
    expect(created).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^aak_test_/),
      name: 'aura-bot',
      tier: 'internal',
      channel: 'whatsapp',
      expiresAt: null,
    });

    expect(await runApiKeysCommand(config, 'list', [], { json: true })).toBe(0);
    const listed = JSON.parse(printed[1]) as { id: string; prefix: string }[];
    expect(listed).toEqual([expect.objectContaining({ id: created.id, prefix: created.key.slice(0, 19) })]);
    expect(printed[1]).not.toContain(created.key.slice(20));

    expect(
      await runApiKeysCommand(config, 'rotate', [created.key.slice(0, 19)], { 'grace-hours': '2', json: true }),
    ).toBe(0);
    const rotated = JSON.parse(printed[2]) as { id: string; key: string };
    expect(rotated.key).not.toBe(created.key);

    expect(await runApiKeysCommand(config, 'revoke', [created.id], { json: true })).toBe(0);
    expect(JSON.parse(printed[3])).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
  });

  it.each([
    ['create', [], { tier: 'internal' }],
    ['create', [], { name: 'x', tier: 'admin' }],
    ['create', [], { name: 'x', tier: 'public', 'expires-in-days': '-3' }],
    ['revoke', [], {}],
    ['explode', [], {}],
  ])('should refuse `api-keys %s` with bad arguments (exit 2)', async (action, args, options) => {
    expect(await runApiKeysCommand(config, action, args, options)).toBe(2);
    expect(errors.join('\n')).not.toBe('');
  });

  it('should fail (exit 1) on a key that does not exist', async () => {
    expect(await runApiKeysCommand(config, 'revoke', ['aak_test_0000000000'], {})).toBe(1);
  });

  it('should seal a callback payload that `callback open` reads back', () => {
    const data = JSON.stringify({ channel: 'web', userId: 'u-1', authorizationId: 'a-1' });
    expect(runCallbackCommand(config, 'seal', [], { purpose: 'logout', data, 'ttl-seconds': '60' })).toBe(0);
    const sealed = printed[0];
    expect(sealed).toMatch(/^v1\.dev\./);
    expect(runCallbackCommand(config, 'open', [sealed], {})).toBe(0);
    const opened = JSON.parse(printed[1]) as { purpose: string; payload: { exp: number; iat: number; jti: string } };
    expect(opened).toMatchObject({
      purpose: 'logout',
      payload: { channel: 'web', userId: 'u-1', authorizationId: 'a-1' },
    });
    expect(opened.payload.exp - opened.payload.iat).toBe(60);
    expect(runCallbackCommand(config, 'open', [sealed.slice(0, -2) + 'AA'], {})).toBe(1);
    expect(runCallbackCommand(config, 'seal', [], { purpose: 'login', data: '[1]' })).toBe(2);
  });

  it('should apply the migrations of the embedded database into a data folder that does not exist yet', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'aura-cli-'));
    const dataDir = join(parent, 'not', 'yet');
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [CLI_ENTRY, 'migrations', 'run'], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'error' },
      });
      expect(stdout).toContain('Applied AuraUsers');
      expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
