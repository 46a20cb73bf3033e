import helmet from 'helmet';

/**
 * Helmet's security headers, computed once at boot rather than on every request: the policy is static,
 * and building it per request cost a measurable share of the CPU of each call. Swagger UI (/docs) needs
 * its inline bootstrap script and styles; nothing else serves HTML.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  })({} as never, response as never, () => undefined);
  return headers;
}
