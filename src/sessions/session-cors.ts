import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Paths browser pages call with credentials: the session API and the routes a session admits. */
const SESSION_API_PATHS = /^\/auth\/api\/v1\//;
const SESSION_ADMITTING_PATHS = /^\/(?:token(?:\/wss)?|config)(?:$|\?)/;
/**
 * Every method Authara's browser client uses: its calls to routes this service does not have must reach
 * it (and get 404 `not_found` in the envelope), not fail in the browser as a refused preflight.
 */
const SESSION_API_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/**
 * CORS for browser pages of other origins (docs/sessions.md "CORS"): only the listed origins, each
 * echoed back (never `*`, since credentials are allowed), and only on the browser paths. Everything else
 * gets no CORS headers at all, as before. Undefined when no origin is listed: then no CORS hook runs.
 */
export function sessionCors(origins: string[]): CorsOptions | undefined {
  if (origins.length === 0) {
    return undefined;
  }
  const allowed = (methods: string[]): CorsOptions => ({
    origin: origins,
    credentials: true,
    methods,
    allowedHeaders: ['Content-Type', 'X-CSRF-Token', 'X-API-Key', 'Authorization'],
    exposedHeaders: ['Retry-After', 'X-Request-Id'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  const sessionApi = allowed(SESSION_API_METHODS);
  const sessionAdmitting = allowed(['GET', 'POST']);
  const refused: CorsOptions = { origin: false };
  return {
    delegator: (request, callback) => {
      const { url } = request;
      callback(
        null,
        SESSION_API_PATHS.test(url) ? sessionApi : SESSION_ADMITTING_PATHS.test(url) ? sessionAdmitting : refused,
      );
    },
  };
}
