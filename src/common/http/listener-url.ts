import type { AddressInfo } from 'node:net';

/** The URL of a bound server, as clients would write it (IPv6 in brackets). */
export function listenerUrl(server: { address(): AddressInfo | string | null }): string {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    return String(address);
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
