import { Transform, Type } from 'class-transformer';

/** Environment strings 'true'/'false' (any case); anything else is left for the validator to reject. */
export const EnvBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') {
      return value;
    }
    const lowered = value.toLowerCase();
    return lowered === 'true' ? true : lowered === 'false' ? false : value;
  });

export const EnvInt = () => Type(() => Number);

/** The items of a comma-separated list, trimmed, without empty ones. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** True for https:// URLs, and for plain http:// to a loopback host (a local sidecar or stub). */
export function isTlsOrLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') {
    return true;
  }
  const host = parsed.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
