import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ServerSettings } from 'src/config/server.settings';
import type { DatabaseSettings } from 'src/database/database.settings';
import type { OpenIdSettings } from 'src/openid/openid.settings';
import {
  generateSigningKeyEntry,
  parseSigningKeys,
  SigningKeyConfigError,
  SigningKeyState,
  type SigningAlgorithm,
  type SigningKey,
} from 'src/openid/signing-keys';

export const DEVELOPMENT_KEY_FILE = 'openid-dev-key.json';
export const DEVELOPMENT_KEY_ALGORITHM: SigningAlgorithm = 'ES256';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

async function readKeysFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new SigningKeyConfigError(`OPENID_SIGNING_KEYS_FILE: cannot read ${path} (${errorCode(error) ?? 'error'})`);
  }
}

/**
 * The development key: generated once and kept in DATA_DIR (mode 0600) so that tokens and
 * verifiers' caches survive restarts; in memory only with `memory://`.
 */
async function developmentKeys(dataDir: string): Promise<{ keys: SigningKey[]; where: string }> {
  if (dataDir.startsWith('memory://')) {
    const entry = await generateSigningKeyEntry(DEVELOPMENT_KEY_ALGORITHM, SigningKeyState.Active);
    return { keys: await parseSigningKeys(JSON.stringify([entry]), 'development key'), where: 'memory' };
  }
  const file = join(dataDir, DEVELOPMENT_KEY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') {
      throw error;
    }
    await mkdir(dataDir, { recursive: true });
    const entry = await generateSigningKeyEntry(DEVELOPMENT_KEY_ALGORITHM, SigningKeyState.Active);
    text = `${JSON.stringify([entry], null, 2)}\n`;
    try {
      await writeFile(file, text, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      // Another process sharing DATA_DIR wrote it first: use theirs.
      if (errorCode(writeError) !== 'EEXIST') {
        throw writeError;
      }
      text = await readFile(file, 'utf8');
    }
  }
  return { keys: await parseSigningKeys(text, file), where: file };
}

/** What the signing keys are read from: the OpenID settings, whether this is production, where development keys live. */
export interface SigningKeySettings {
  OPENID_SIGNING_KEYS?: string;
  OPENID_SIGNING_KEYS_FILE?: string;
  isProduction: boolean;
  DATA_DIR: string;
}

export function signingKeySettings(
  openid: OpenIdSettings,
  server: ServerSettings,
  database: DatabaseSettings,
): SigningKeySettings {
  return {
    OPENID_SIGNING_KEYS: openid.OPENID_SIGNING_KEYS,
    OPENID_SIGNING_KEYS_FILE: openid.OPENID_SIGNING_KEYS_FILE,
    isProduction: server.isProduction,
    DATA_DIR: database.DATA_DIR,
  };
}

/**
 * The signing keys of this instance, validated: from OPENID_SIGNING_KEYS, from the file named by
 * OPENID_SIGNING_KEYS_FILE, or (outside production only) the development key. Throws a
 * ConfigError that stops the boot when the configuration is unusable.
 */
export async function loadSigningKeys(
  config: SigningKeySettings,
  logger = new Logger('SigningKeys'),
): Promise<SigningKey[]> {
  let keys: SigningKey[];
  if (config.OPENID_SIGNING_KEYS !== undefined) {
    keys = await parseSigningKeys(config.OPENID_SIGNING_KEYS, 'OPENID_SIGNING_KEYS');
  } else if (config.OPENID_SIGNING_KEYS_FILE !== undefined) {
    const path = config.OPENID_SIGNING_KEYS_FILE;
    keys = await parseSigningKeys(await readKeysFile(path), `OPENID_SIGNING_KEYS_FILE (${path})`);
  } else if (config.isProduction) {
    // loadConfig already refuses this; a production instance never falls back to a generated key.
    throw new SigningKeyConfigError('OPENID_SIGNING_KEYS: is required in production');
  } else {
    const development = await developmentKeys(config.DATA_DIR);
    keys = development.keys;
    logger.warn(
      { kid: keys[0].kid, where: development.where },
      'Using a development OpenID signing key: set OPENID_SIGNING_KEYS or OPENID_SIGNING_KEYS_FILE outside development.',
    );
  }
  logger.log({ keys: keys.map(({ kid, alg, state }) => ({ kid, alg, state })) }, 'OpenID signing keys loaded');
  return keys;
}
