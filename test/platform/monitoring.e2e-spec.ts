import { dashboardExpressions, exposedFamilies, isExposed, metricNames } from '../support/promql';
import { createTestApp, type TestApp } from '../support/test-app';
import { ensureRenderer, render, requiredSecrets } from '../static/helm/chart-harness';

/**
 * Metrics that the alerts read from elsewhere, not from the service: Prometheus' own `up` per scrape target, and
 * kube-state-metrics' pod readiness (the service's readiness probe as Kubernetes sees it).
 */
const EXTERNAL = new Set(['up', 'kube_pod_status_ready']);

interface PrometheusRule {
  spec: { groups: { rules: { alert: string; expr: string }[] }[] };
}

/** The alert expressions as the chart renders them. */
function alertExpressions(): Map<string, string> {
  ensureRenderer();
  const rendered = render([requiredSecrets, { prometheusRule: { enabled: true } }]);
  const rule = rendered.manifests.find((m) => m.object.kind === 'PrometheusRule')?.object as unknown as
    PrometheusRule | undefined;
  if (rule === undefined) {
    throw new Error('the chart rendered no PrometheusRule');
  }
  return new Map(rule.spec.groups.flatMap((group) => group.rules.map((r) => [r.alert, r.expr] as const)));
}

describe('dashboard and alerts read metrics that exist', () => {
  let t: TestApp;
  let families: Map<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    const scraped = await t.scrape();
    expect(scraped.statusCode).toBe(200);
    families = exposedFamilies(scraped.body);
  });
  afterAll(() => t?.close());

  it('should find in the expression parser the metric names, and only them', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{namespace="$namespace", route!~"/metrics"}[$__rate_interval])))',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(
      metricNames('count(up{job="a"} == 0) > 0 or absent(up{job="a"}) unless on (pod) kube_pod_status_ready offset 5m'),
    ).toEqual(['up', 'kube_pod_status_ready']);
    expect(isExposed('http_request_duration_seconds_count', families)).toBe(true);
    expect(isExposed('http_request_duration_seconds_total', families)).toBe(false);
    expect(isExposed('no_such_metric', families)).toBe(false);
  });

  it('should expose every metric the Grafana dashboard names', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(25);
    const names = [...new Set(expressions.flatMap(metricNames))].sort();
    expect(names).toContain('directline_circuit_state');
    expect(names.filter((name) => !isExposed(name, families))).toEqual([]);
  });

  it('should expose every metric the alerts name, apart from up and kube-state-metrics', () => {
    const alerts = alertExpressions();
    expect([...alerts.keys()].sort()).toEqual([
      'AuraAuthDirectLineCircuitOpen',
      'AuraAuthHighErrorRatio',
      'AuraAuthHighLatency',
      'AuraAuthInvalidationListenerDisconnected',
      'AuraAuthKernelCircuitOpen',
      'AuraAuthPodNotReady',
      'AuraAuthTargetDown',
    ]);
    const missing: string[] = [];
    for (const [alert, expression] of alerts) {
      const names = metricNames(expression);
      expect(names.length).toBeGreaterThan(0);
      missing.push(
        ...names.filter((name) => !EXTERNAL.has(name) && !isExposed(name, families)).map((name) => `${alert}: ${name}`),
      );
    }
    expect(missing).toEqual([]);
  });
});
