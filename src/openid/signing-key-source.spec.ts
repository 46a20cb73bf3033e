import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadConfig } from 'src/config/app-config';
import { ServerSettings } from 'src/config/server.settings';
import { DatabaseSettings } from 'src/database/database.settings';
import { OpenIdSettings } from 'src/openid/openid.settings';
import { DEVELOPMENT_KEY_FILE, loadSigningKeys, signingKeySettings } from 'src/openid/signing-key-source';
import { generateSigningKeyEntry, SigningKeyState } from 'src/openid/signing-keys';

/** What the OpenID module reads the keys from, for a given environment. */
function keySettings(env: NodeJS.ProcessEnv) {
  const config = loadConfig(env);
  return signingKeySettings(config.get(OpenIdSettings), config.get(ServerSettings), config.get(DatabaseSettings));
}

describe('loadSigningKeys', () => {
  let folder: string;
  const logger = new Logger('test');

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn']);
  });
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'aura-openid-'));
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));

  it('should generate a development key once, keep it readable by the owner only and reuse it', async () => {
    const dataDir = join(folder, 'data', 'nested');
    const config = keySettings({ DATA_DIR: dataDir });
    const [first] = await loadSigningKeys(config, logger);
    const file = join(dataDir, DEVELOPMENT_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([
      {
        kid: first.kid,
        alg: 'ES256',
        state: 'active',
        jwk: expect.objectContaining({ kty: 'EC', d: expect.any(String) }),
      },
    ]);
    const [again] = await loadSigningKeys(config, logger);
    expect(again.kid).toBe(first.kid);
    expect(first.state).toBe(SigningKeyState.Active);
  });

  it('should keep the development key in memory only with memory://', async () => {
    const config = keySettings({ DATA_DIR: 'memory://' });
    const [first] = await loadSigningKeys(config, logger);
    const [second] = await loadSigningKeys(config, logger);
    expect(first.kid).not.toBe(second.kid);
  });

  it('should refuse a damaged development key file instead of replacing it', async () => {
    await writeFile(join(folder, DEVELOPMENT_KEY_FILE), '[{"alg":"ES256"');
    await expect(loadSigningKeys(keySettings({ DATA_DIR: folder }), logger)).rejects.toThrow(
      `${join(folder, DEVELOPMENT_KEY_FILE)}: is not valid JSON`,
    );
  });

  it('should read the keys from OPENID_SIGNING_KEYS_FILE', async () => {
    const entry = await generateSigningKeyEntry('ES384', SigningKeyState.Active, 'from-file');
    const file = join(folder, 'signing-keys.json');
    await writeFile(file, JSON.stringify([entry]));
    const keys = await loadSigningKeys(keySettings({ OPENID_SIGNING_KEYS_FILE: file }), logger);
    expect(keys.map(({ kid, alg }) => ({ kid, alg }))).toEqual([{ kid: 'from-file', alg: 'ES384' }]);
  });

  it('should name the variable and the path when the keys file cannot be read', async () => {
    const file = join(folder, 'missing.json');
    await expect(loadSigningKeys(keySettings({ OPENID_SIGNING_KEYS_FILE: file }), logger)).rejects.toThrow(
      `OPENID_SIGNING_KEYS_FILE: cannot read ${file} (ENOENT)`,
    );
  });

  it('should prefer configured keys to the development key', async () => {
    const entry = await generateSigningKeyEntry('RS256', SigningKeyState.Active, 'configured');
    const keys = await loadSigningKeys(
      keySettings({ DATA_DIR: folder, OPENID_SIGNING_KEYS: JSON.stringify([entry]) }),
      logger,
    );
    expect(keys[0].kid).toBe('configured');
    await expect(stat(join(folder, DEVELOPMENT_KEY_FILE))).rejects.toThrow('ENOENT');
  });

  it('should never generate a key in production', async () => {
    const config = { isProduction: true, DATA_DIR: folder };
    await expect(loadSigningKeys(config, logger)).rejects.toThrow('OPENID_SIGNING_KEYS: is required in production');
    await expect(stat(join(folder, DEVELOPMENT_KEY_FILE))).rejects.toThrow('ENOENT');
  });
});
