import { readFileSync } from 'node:fs';
import { OPENAPI_FILE } from 'src/cli/openapi.command';
import { buildOpenApiDocument, stableJson } from 'src/swagger';
import { createTestApp, type TestApp } from '../support/test-app';

describe('committed OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('should be exactly what the code produces (run `npm run openapi` after changing the API)', () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    expect(stableJson(buildOpenApiDocument(t.app))).toBe(committed);
  });

  it('should document the access tiers of every operation', () => {
    const document = buildOpenApiDocument(t.app);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, Record<string, unknown>>)) {
        expect({ route: `${method} ${path}`, tiers: Array.isArray(operation['x-access-tiers']) }).toEqual({
          route: `${method} ${path}`,
          tiers: true,
        });
        expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      }
    }
  });
});
