import { weakKeyBytes } from 'src/config/secret-strength';

/** `kid:base64key` pairs, comma-separated, each key 32 bytes in base64 or base64url. */
export const KEY_RING = /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]{43,44}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]{43,44})*$/;

/** The key material of a key ring, normalised (base64 or base64url) for comparison. */
export function cipherKeyMaterial(keys: string): string[] {
  return keys.split(',').map((pair) => {
    const encoded = pair.trim().split(':')[1] ?? '';
    return Buffer.from(encoded, /[+/]/.test(encoded) ? 'base64' : 'base64url').toString('hex');
  });
}

/** Problems of a key ring in any environment that its pattern cannot see: a kid twice, a key of another size. */
export function keyRingConsistencyProblems(variable: string, ring: string): string[] {
  const problems: string[] = [];
  const kids = ring.split(',').map((pair) => pair.trim().split(':')[0]);
  if (new Set(kids).size !== kids.length) {
    problems.push(`${variable}: a key id appears twice`);
  }
  if (cipherKeyMaterial(ring).some((material) => material.length !== 64)) {
    problems.push(`${variable}: every key must be 32 bytes`);
  }
  return problems;
}

/** In production: the development key (under any kid), published and low-entropy keys of a key ring; named by kid only. */
export function keyRingProductionProblems(variable: string, keys: string, developmentKeys: string): string[] {
  const developmentKey = cipherKeyMaterial(developmentKeys)[0];
  const problems: string[] = [];
  const kids = keys.split(',').map((pair) => pair.trim().split(':')[0]);
  cipherKeyMaterial(keys).forEach((material, i) => {
    const which = variable.endsWith('KEYS') ? `key "${kids[i]}"` : 'the key';
    if (material === developmentKey) {
      problems.push(`${variable}: must be set in production (the development key is refused, under any key id)`);
      return;
    }
    const weakness = weakKeyBytes(Buffer.from(material, 'hex'));
    if (weakness !== undefined) {
      problems.push(`${variable}: refused in production, ${which} ${weakness}`);
    }
  });
  return problems;
}
