import type { FastifyRequest } from 'fastify';

const AUTHORIZATION_PREFIX = /^APIKEY /i;

/** The key a request carries, wherever the access guard looks for it; undefined if none. */
export function presentedKey(request: FastifyRequest, queryEnabled: boolean): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') {
    return header;
  }
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && AUTHORIZATION_PREFIX.test(authorization)) {
    return authorization.slice('APIKEY '.length);
  }
  const query = queryEnabled ? (request.query as Record<string, unknown> | undefined)?.apiKey : undefined;
  return typeof query === 'string' && query !== '' ? query : undefined;
}
