/** A configuration the service cannot start with; its message names each variable, never a value (it may be a secret). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
