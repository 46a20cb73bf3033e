/**
 * Fastify's `trustProxy` for a number of reverse proxies in front of the service. Fastify 5 takes a plain
 * number as "trust nothing" (it cannot check the peer), so the hop count is given as a function instead:
 * the peer (index 0) and the next `hops - 1` X-Forwarded-For entries, counted from the right, are proxies;
 * the entry after them is the client. Entries further left are what the client wrote itself, and ignored.
 */
export function trustedHops(hops: number): false | ((address: string, index: number) => boolean) {
  return hops === 0 ? false : (_address, index) => index < hops;
}
