import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ConfigError } from 'src/config/config-error';

/** JWS algorithms a signing key may be configured for. */
export const SIGNING_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * Life cycle of a key: `published` (announced in the JWKS before it signs), `active` (the one
 * key that signs), `retired` (still announced so tokens it signed keep verifying; never signs).
 */
export enum SigningKeyState {
  Published = 'published',
  Active = 'active',
  Retired = 'retired',
}
const STATES = Object.values(SigningKeyState) as string[];

/** One entry of OPENID_SIGNING_KEYS: a private key as a JWK or a PEM, with its algorithm and state. */
export interface SigningKeyEntry {
  kid?: string;
  alg: SigningAlgorithm;
  state: SigningKeyState;
  jwk?: JWK;
  pem?: string;
}
const ENTRY_MEMBERS = new Set(['kid', 'alg', 'state', 'jwk', 'pem']);

/** The public half of a key as served in the JWKS: nothing else ever leaves the process. */
export interface PublicJwk {
  kty: 'RSA' | 'EC' | 'OKP';
  kid: string;
  use: 'sig';
  alg: SigningAlgorithm;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/** The public parameters of each key type (RFC 7518 §6, RFC 8037 §2); every other member is dropped. */
const PUBLIC_MEMBERS = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
} as const satisfies Record<PublicJwk['kty'], readonly (keyof PublicJwk)[]>;

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  state: SigningKeyState;
  /** Absent for a public-only key: published (another party, e.g. aura-bot, signs with it), never used here. */
  privateKey?: KeyObject;
  publicJwk: PublicJwk;
}

/** What each algorithm needs: the node key type and, for EC, the curve (node's name). */
const KEY_REQUIREMENTS: Record<SigningAlgorithm, { type: 'rsa' | 'ec' | 'ed25519'; curve?: string; label: string }> = {
  RS256: { type: 'rsa', label: 'an RSA key' },
  RS384: { type: 'rsa', label: 'an RSA key' },
  RS512: { type: 'rsa', label: 'an RSA key' },
  PS256: { type: 'rsa', label: 'an RSA key' },
  PS384: { type: 'rsa', label: 'an RSA key' },
  PS512: { type: 'rsa', label: 'an RSA key' },
  ES256: { type: 'ec', curve: 'prime256v1', label: 'an EC P-256 key' },
  ES384: { type: 'ec', curve: 'secp384r1', label: 'an EC P-384 key' },
  ES512: { type: 'ec', curve: 'secp521r1', label: 'an EC P-521 key' },
  EdDSA: { type: 'ed25519', label: 'an Ed25519 key' },
};

/**
 * The members each key type defines (RFC 7518 §6, RFC 8037 §2). Only these reach Node's JWK import:
 * runtimes differ on unknown members (Node 24 refuses some that Node 20 ignores), and the key must
 * read the same on every one.
 */
const KEY_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'],
  EC: ['kty', 'crv', 'x', 'y', 'd'],
  OKP: ['kty', 'crv', 'x', 'd'],
};

const MIN_RSA_BITS = 2048;
/** A kid travels in token headers and URLs' neighbourhood: keep it short and unreserved. */
export const KID_PATTERN = /^[A-Za-z0-9._:~-]{1,128}$/;

/** Invalid signing-key configuration; the message names the entry and the rule, never key material. */
export class SigningKeyConfigError extends ConfigError {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return `an RSA key of ${details?.modulusLength ?? '?'} bits`;
    case 'ec':
      return `an EC key on ${details?.namedCurve ?? 'an unknown curve'}`;
    default:
      return `a key of type ${key.asymmetricKeyType ?? 'unknown'}`;
  }
}

/**
 * The key of an entry, from its JWK or its PEM: a private key (this service may sign with it) or a
 * public one (published only). Throws a message fit for the operator.
 */
function keyOf(entry: Record<string, unknown>): { key: KeyObject; isPrivate: boolean } {
  const { jwk, pem } = entry;
  if ((jwk === undefined) === (pem === undefined)) {
    throw new SigningKeyConfigError('needs exactly one of "jwk" (a JWK) or "pem" (a PEM key)');
  }
  if (jwk !== undefined) {
    if (!isRecord(jwk)) {
      throw new SigningKeyConfigError('"jwk" must be a JSON object');
    }
    if (jwk.kty === 'oct') {
      throw new SigningKeyConfigError('"jwk" is a symmetric key; only asymmetric keys can be published');
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      throw new SigningKeyConfigError('"jwk" is marked for another use than "sig"');
    }
    if (jwk.alg !== undefined && jwk.alg !== entry.alg) {
      throw new SigningKeyConfigError(
        `"jwk" says alg ${JSON.stringify(jwk.alg)} but the entry says ${String(entry.alg)}`,
      );
    }
    if (jwk.kty === 'RSA' && jwk.oth !== undefined) {
      throw new SigningKeyConfigError('"jwk" is a multi-prime RSA key ("oth"); only two-prime RSA keys are supported');
    }
    const members = KEY_MEMBERS[jwk.kty as string] ?? Object.keys(jwk);
    const keyOnly = Object.fromEntries(members.filter((name) => name in jwk).map((name) => [name, jwk[name]]));
    const isPrivate = jwk.d !== undefined;
    try {
      const key = isPrivate
        ? createPrivateKey({ key: keyOnly as JsonWebKey, format: 'jwk' })
        : createPublicKey({ key: keyOnly as JsonWebKey, format: 'jwk' });
      return { key, isPrivate };
    } catch (error) {
      // Node's message names the missing or malformed member, never its value.
      throw new SigningKeyConfigError(`"jwk" is not a usable key (${(error as Error).message})`);
    }
  }
  if (typeof pem !== 'string') {
    throw new SigningKeyConfigError('"pem" must be a string');
  }
  if (pem.includes('ENCRYPTED')) {
    throw new SigningKeyConfigError(
      '"pem" is encrypted; configure an unencrypted private key (the secret store protects it)',
    );
  }
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) {
    try {
      return { key: createPublicKey({ key: pem, format: 'pem' }), isPrivate: false };
    } catch {
      throw new SigningKeyConfigError('"pem" could not be read as a PEM public key (SPKI or PKCS#1)');
    }
  }
  if (!pem.includes('PRIVATE KEY-----')) {
    throw new SigningKeyConfigError(
      '"pem" holds no key (expected -----BEGIN PRIVATE KEY-----, a PKCS#1/SEC1 private key or a public key)',
    );
  }
  try {
    return { key: createPrivateKey({ key: pem, format: 'pem' }), isPrivate: true };
  } catch {
    throw new SigningKeyConfigError('"pem" could not be read as a PEM private key (PKCS#8, PKCS#1 or SEC1)');
  }
}

function checkKeyFitsAlgorithm(key: KeyObject, alg: SigningAlgorithm): void {
  const needed = KEY_REQUIREMENTS[alg];
  const fits =
    key.asymmetricKeyType === needed.type &&
    (needed.curve === undefined || key.asymmetricKeyDetails?.namedCurve === needed.curve);
  if (!fits) {
    throw new SigningKeyConfigError(`alg ${alg} needs ${needed.label}, got ${describeKey(key)}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (needed.type === 'rsa' && bits < MIN_RSA_BITS) {
    throw new SigningKeyConfigError(`RSA keys need at least ${MIN_RSA_BITS} bits, got ${bits}`);
  }
}

/** Only the public parameters of the key type, derived from the private key (not copied from the input). */
function publicParameters(key: KeyObject): Pick<PublicJwk, 'kty' | 'n' | 'e' | 'crv' | 'x' | 'y'> {
  const exported = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' }) as Record<
    string,
    string
  >;
  const kty = exported.kty as PublicJwk['kty'];
  const members = PUBLIC_MEMBERS[kty];
  if (members === undefined) {
    throw new SigningKeyConfigError(`key type ${kty} cannot be published`);
  }
  const parameters: Pick<PublicJwk, 'kty' | 'n' | 'e' | 'crv' | 'x' | 'y'> = { kty };
  for (const member of members) {
    parameters[member] = exported[member];
  }
  return parameters;
}

async function parseEntry(entry: unknown): Promise<SigningKey> {
  if (!isRecord(entry)) {
    throw new SigningKeyConfigError('must be a JSON object such as {"alg":"ES256","state":"active","jwk":{…}}');
  }
  const unknown = Object.keys(entry).filter((member) => !ENTRY_MEMBERS.has(member));
  if (unknown.length > 0) {
    const hint = 'kty' in entry ? ' (put the private JWK under "jwk", with "alg" and "state" beside it)' : '';
    throw new SigningKeyConfigError(`unknown member(s) ${unknown.map((m) => `"${m}"`).join(', ')}${hint}`);
  }
  const { alg, state } = entry;
  if (!SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm)) {
    throw new SigningKeyConfigError(`"alg" must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  if (!STATES.includes(state as string)) {
    throw new SigningKeyConfigError(`"state" must be one of ${STATES.join(', ')}`);
  }
  const { key, isPrivate } = keyOf(entry);
  if (!isPrivate && state === SigningKeyState.Active) {
    throw new SigningKeyConfigError(
      'a public key cannot be "active": the active key signs, which needs its private part ("d" or a private PEM)',
    );
  }
  checkKeyFitsAlgorithm(key, alg as SigningAlgorithm);
  const parameters = publicParameters(key);
  const { kty, ...keyParameters } = parameters;
  const jwkKid = isRecord(entry.jwk) ? entry.jwk.kid : undefined;
  if (entry.kid !== undefined && jwkKid !== undefined && entry.kid !== jwkKid) {
    throw new SigningKeyConfigError('"kid" and "jwk.kid" differ');
  }
  const kid = entry.kid ?? jwkKid ?? (await calculateJwkThumbprint(parameters, 'sha256'));
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    throw new SigningKeyConfigError('"kid" must be 1-128 letters, digits or . _ : ~ -');
  }
  return {
    kid,
    alg: alg as SigningAlgorithm,
    state: state as SigningKeyState,
    ...(isPrivate ? { privateKey: key } : {}),
    publicJwk: { kty, kid, use: 'sig', alg: alg as SigningAlgorithm, ...keyParameters },
  };
}

/**
 * An RFC 7517 JWK Set (`{"keys": [...]}`, as other tools write it) as configuration entries. A set has no
 * states, so: the first key with a private part is `active` (it signs), every other key is `published`
 * (in the JWKS, never signing here). Each member needs its `alg`; `kid` defaults to the thumbprint.
 */
function entriesOfJwkSet(keys: unknown[]): unknown[] {
  let activeChosen = false;
  return keys.map((jwk) => {
    if (!isRecord(jwk)) {
      return jwk;
    }
    if (typeof jwk.alg !== 'string') {
      return { jwk, alg: undefined, state: SigningKeyState.Published, missingAlg: true };
    }
    const isPrivate = jwk.d !== undefined;
    const state = isPrivate && !activeChosen ? SigningKeyState.Active : SigningKeyState.Published;
    activeChosen ||= state === SigningKeyState.Active;
    return { ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}), alg: jwk.alg, state, jwk };
  });
}

/**
 * Reads and validates a signing-key configuration: a JSON array of entries, or a standard JWK Set
 * (`{"keys": [...]}`). Keys with a private part may sign (exactly one of them active); public-only
 * keys are published and never sign. No kid or key twice. `source` names the setting in messages.
 * Returns the active key first, then the others in configured order (the JWKS order). Throws a
 * SigningKeyConfigError listing every problem; messages never contain key material.
 */
export async function parseSigningKeys(json: string, source: string): Promise<SigningKey[]> {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    // JSON.parse quotes the text around the error: that would be key material.
    throw new SigningKeyConfigError(`${source}: is not valid JSON`);
  }
  if (isRecord(document) && Array.isArray(document.keys)) {
    document = entriesOfJwkSet(document.keys);
  }
  if (!Array.isArray(document) || document.length === 0) {
    throw new SigningKeyConfigError(
      `${source}: must be a non-empty JSON array of signing keys, or a JWK Set {"keys": [...]}`,
    );
  }
  const problems: string[] = [];
  const keys: SigningKey[] = [];
  for (const [index, entry] of document.entries()) {
    try {
      if (isRecord(entry) && entry.missingAlg === true) {
        throw new SigningKeyConfigError(`a JWK Set member needs "alg" (one of ${SIGNING_ALGORITHMS.join(', ')})`);
      }
      keys.push(await parseEntry(entry));
    } catch (error) {
      if (!(error instanceof SigningKeyConfigError)) {
        throw error;
      }
      const kid =
        isRecord(entry) && typeof entry.kid === 'string' && KID_PATTERN.test(entry.kid) ? ` (kid ${entry.kid})` : '';
      problems.push(`entry ${index}${kid}: ${error.message}`);
    }
  }
  if (problems.length === 0) {
    problems.push(...setProblems(keys));
  }
  if (problems.length > 0) {
    throw new SigningKeyConfigError(`${source}: invalid signing keys:\n  ${problems.join('\n  ')}`);
  }
  return [...keys].sort((a, b) => rank(a) - rank(b));
}

function rank(key: SigningKey): number {
  return key.state === SigningKeyState.Active ? 0 : 1;
}

function setProblems(keys: SigningKey[]): string[] {
  const problems: string[] = [];
  const active = keys.filter((key) => key.state === SigningKeyState.Active);
  // A set of public keys only publishes (another party signs); as soon as this service holds a private key,
  // exactly one key signs.
  const holdsPrivateKey = keys.some((key) => key.privateKey !== undefined);
  if (holdsPrivateKey && active.length !== 1) {
    problems.push(
      active.length === 0
        ? 'no key is active: exactly one entry needs "state": "active"'
        : `${active.length} keys are active (${active.map((key) => key.kid).join(', ')}): exactly one may sign`,
    );
  }
  const seenKids = new Set<string>();
  const seenKeys = new Map<string, string>();
  for (const key of keys) {
    if (seenKids.has(key.kid)) {
      problems.push(`kid ${key.kid} is used by more than one entry`);
    }
    seenKids.add(key.kid);
    const material = JSON.stringify(PUBLIC_MEMBERS[key.publicJwk.kty].map((member) => key.publicJwk[member]));
    const twin = seenKeys.get(material);
    if (twin !== undefined && twin !== key.kid) {
      problems.push(`kid ${key.kid} and kid ${twin} are the same key`);
    }
    seenKeys.set(material, key.kid);
  }
  return problems;
}

/** A new key pair as a configuration entry (private JWK), with its kid set to the RFC 7638 thumbprint. */
export async function generateSigningKeyEntry(
  alg: SigningAlgorithm,
  state: SigningKeyState,
  kid?: string,
): Promise<SigningKeyEntry & { kid: string; jwk: JWK }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
  return { kid: kid ?? thumbprint, alg, state, jwk };
}
