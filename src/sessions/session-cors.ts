import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from 'src/config/app-config';

/** Paths browser pages call with credentials: the session API and the routes a session admits. */
const BROWSER_PATHS = /^\/(?:auth\/api\/v1\/|token(?:\/wss)?(?:$|\?)|config(?:$|\?))/;
const PREFLIGHT_MAX_AGE_SECONDS = 600;

type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/**
 * CORS for browser pages of other origins (docs/sessions.md "CORS"): only the listed origins, each
 * echoed back (never `*`, since credentials are allowed), and only on the browser paths. Everything else
 * gets no CORS headers at all, as before. Undefined when no origin is listed: then no CORS hook runs.
 */
export function sessionCors(config: AppConfig): CorsOptions | undefined {
  const origins = config.corsAllowedOrigins;
  if (origins.length === 0) {
    return undefined;
  }
  const allowed: CorsOptions = {
    origin: origins,
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Content-Type', 'X-CSRF-Token', 'X-API-Key', 'Authorization'],
    exposedHeaders: ['Retry-After', 'X-Request-Id'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  };
  const refused: CorsOptions = { origin: false };
  return {
    delegator: (request, callback) => callback(null, BROWSER_PATHS.test(request.url) ? allowed : refused),
  };
}
