import helmet from 'helmet';

/** The headers of API responses, and of the Swagger UI pages. */
export interface SecurityHeaders {
  api: Record<string, string>;
  docs: Record<string, string>;
}

/**
 * Helmet's security headers, computed once at boot rather than on every request: the policy is static,
 * and building it per request cost a measurable share of the CPU of each call. Only Swagger UI (/docs)
 * runs a script, its inline bootstrap, so only its pages allow inline scripts and styles.
 *
 * Every response defaults to `Cache-Control: no-store` (user records, tokens and sessions carry personal
 * data or credentials, and no proxy or browser cache should keep them); a route whose answer may be cached
 * (the JWKS) sets its own.
 */
export function securityHeaders(): SecurityHeaders {
  const strict = { scriptSrc: ["'self'"], styleSrc: ["'self'"] };
  const docs = { scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"] };
  return { api: withHelmet(strict), docs: withHelmet(docs) };
}

function withHelmet(directives: { scriptSrc: string[]; styleSrc: string[] }): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet({
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], ...directives, imgSrc: ["'self'", 'data:'] },
    },
  })({} as never, response as never, () => undefined);
  headers['cache-control'] = 'no-store';
  return headers;
}

/** The Swagger UI pages and assets (not /docs-json or /docs-yaml, which are documents). */
export function isDocsPage(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
}
