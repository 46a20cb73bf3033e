/**
 * What the chart's documentation says about the Ingress, against the routes the service really serves (the
 * committed OpenAPI document, itself checked against the running app): the prefixes an operator is told to
 * publish instead of `/` must reach every caller-facing route, and nothing may claim /metrics is keyless on the
 * http port (it is a public-tier route there; only the separate metricsPort is keyless).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Routes for Kubernetes and Prometheus, never for the public host. */
const NOT_PUBLISHED = new Set(['healthz', 'readyz', 'metrics']);

describe('the chart documentation of the Ingress', () => {
  const document = JSON.parse(read('openapi/openapi.json')) as { paths: Record<string, unknown> };
  const prefixes = [...new Set(Object.keys(document.paths).map((route) => route.split('/')[1]))]
    .filter((prefix) => !NOT_PUBLISHED.has(prefix))
    .sort();

  it('should list every caller-facing route prefix among the paths to publish', () => {
    const readme = read('helm/README.md');
    const advice = /list in `ingress\.hosts\[\]\.paths` only the prefixes callers need \(([^)]*)\)/.exec(
      readme.replace(/\s+/g, ' '),
    );
    expect(advice).not.toBeNull();
    const listed = new Set([...(advice?.[1] ?? '').matchAll(/`\/([a-z-]+)`/g)].map((match) => match[1]));
    expect(prefixes.filter((prefix) => !listed.has(prefix))).toEqual([]);
    expect([...listed].filter((prefix) => NOT_PUBLISHED.has(prefix))).toEqual([]);
  });

  it('should not say /metrics has no authentication on the http port', () => {
    for (const file of ['helm/aura-authentication-api/values.yaml', 'helm/README.md']) {
      expect({ file, claim: /\/metrics has no authentication/i.test(read(file)) }).toEqual({ file, claim: false });
    }
  });
});
