import { Tier } from 'src/auth/tier';
import { registeredRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * The permission review of the service: every route and who may call it. A change to the
 * snapshot is a change of permissions and is reviewed as such.
 */
describe('route access declarations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('should declare access on every route', () => {
    const undeclared = registeredRoutes(t).filter((route) => route.access === 'UNDECLARED');
    expect(undeclared).toEqual([]);
  });

  it('should match the reviewed permission snapshot', () => {
    const table = registeredRoutes(t).map(
      (route) => `${route.method.padEnd(6)} ${route.path.padEnd(48)} ${route.access}`,
    );
    expect(table).toMatchSnapshot();
  });

  it('should register with Fastify exactly the routes it declares (plus the OpenAPI pages)', () => {
    const fastifyRoutes = t.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
    for (const route of registeredRoutes(t)) {
      expect(fastifyRoutes).toContain(route.path.split('/').pop());
    }
    expect(Object.values(Tier)).toEqual(['internal', 'kernel', 'public']);
  });
});
