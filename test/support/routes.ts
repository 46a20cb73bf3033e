import { RouteAccessRegistry, type RouteAccess } from 'src/auth/passport/route-access';
import type { TestApp } from './test-app';

/** Sample values for path parameters, so that every route can be called. */
const SAMPLE_PARAMS: Record<string, string> = {
  phone_number: '+34600000000',
  aura_id_global: '6f1c2a8e-0d1b-4c53-9a55-1e2f3a4b5c6d',
};

export function registeredRoutes(t: TestApp): RouteAccess[] {
  return t.app
    .get(RouteAccessRegistry)
    .routes()
    .sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

export function sampleUrl(path: string): string {
  return path.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(SAMPLE_PARAMS[name] ?? `sample-${name}`));
}
