/**
 * The Helm chart (helm/aura-authentication-api), rendered with a real Go
 * text/template + Sprig renderer (helm/test/renderer, built by
 * helm/test/install-renderer.sh) and checked against the Kubernetes schemas,
 * for unknown fields, and against values.schema.json.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY } from 'src/build-paths';
import {
  chartDefaults,
  chartDir,
  coalesce,
  ensureRenderer,
  fieldErrors,
  find,
  kinds,
  render,
  renderError,
  Rendered,
  requiredSecrets,
  schemaErrors,
  valuesErrors,
} from './chart-harness';

// Local views of the objects the assertions read. Every object has already
// passed the Kubernetes schema and field checks, so the casts only narrow.
type Labels = Record<string, string>;
interface Meta {
  name: string;
  labels: Labels;
  annotations: Labels;
}
interface Probe {
  httpGet: { path: string; port: string };
}
interface EnvVar {
  name: string;
  value?: string;
}
interface Container {
  image: string;
  command?: string[];
  env?: EnvVar[];
  envFrom: object[];
  ports?: object[];
  securityContext?: object;
  volumeMounts?: object[];
  resources?: { requests?: Labels; limits?: Labels };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle: { preStop: { exec: { command: string[] } } };
}
interface PodTemplate {
  metadata: { labels: Labels; annotations: Labels };
  spec: {
    containers: Container[];
    securityContext?: object;
    volumes?: object[];
    terminationGracePeriodSeconds?: number;
    automountServiceAccountToken?: boolean;
    restartPolicy?: string;
  };
}
interface Workload {
  metadata: Meta;
  spec: {
    replicas?: number;
    selector: { matchLabels: Labels };
    template: PodTemplate;
  };
}
interface WithData {
  metadata: Meta;
  data: Labels;
}
interface WithSpec<S> {
  metadata: Meta;
  spec: S;
}
const view = <T>(o: object): T => o as unknown as T;

/** Production-like values: external secret, HPA, ingress, ServiceMonitor, NetworkPolicy. */
const production = {
  image: {
    repository: 'registry.example.com/aura/aura-authentication-api',
    digest: 'sha256:' + 'a'.repeat(64),
  },
  existingSecret: 'aura-authentication-api-secrets',
  config: {
    APIKEY_ENVIRONMENT: 'pro',
    LOG_LEVEL: 'warn',
    PUBLIC_BASE_URL: 'https://auth.aura.example.com',
    DIRECTLINE_BASE_URL: 'https://europe.directline.botframework.com',
    USER_TTL_DAYS: 30,
    CALLBACK_REDIRECT_ALLOWLIST: 'https://aura.example.com,https://tv.aura.example.com',
  },
  autoscaling: {
    enabled: true,
    minReplicas: 3,
    maxReplicas: 12,
    targetMemoryUtilizationPercentage: 80,
  },
  podDisruptionBudget: { enabled: true, maxUnavailable: null, minAvailable: 2 },
  ingress: {
    enabled: true,
    className: 'nginx',
    annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
    hosts: [
      {
        host: 'auth.aura.example.com',
        paths: [{ path: '/', pathType: 'Prefix' }],
      },
    ],
    tls: [{ secretName: 'aura-auth-tls', hosts: ['auth.aura.example.com'] }],
  },
  serviceMonitor: {
    enabled: true,
    labels: { release: 'kube-prometheus-stack' },
    interval: '15s',
    apiKeySecret: { name: 'aura-auth-prometheus', key: 'api-key' },
  },
  networkPolicy: {
    enabled: true,
    ingress: {
      from: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
          },
        },
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
          },
        },
      ],
    },
    egress: {
      enabled: true,
      rules: [
        {
          to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
          ports: [{ port: 5432, protocol: 'TCP' }],
        },
        { ports: [{ port: 443, protocol: 'TCP' }] },
      ],
    },
  },
  migration: { config: { DATABASE_STATEMENT_TIMEOUT_MS: 600000 } },
  podAnnotations: { 'example.com/team': 'aura' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [
    {
      key: 'dedicated',
      operator: 'Equal',
      value: 'aura',
      effect: 'NoSchedule',
    },
  ],
};

function expectValid(r: Rendered): void {
  const errors = r.manifests
    .map(({ template, object }) => {
      const e = schemaErrors(object);
      return e && `${template} ${object.kind}/${object.metadata.name}: ${e}`;
    })
    .filter(Boolean);
  expect(errors).toEqual([]);
  expect(fieldErrors(r.manifests)).toEqual([]);
  expect(valuesErrors(r.values)).toEqual([]);
  for (const { object } of r.manifests) {
    expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(object.metadata.name.length).toBeLessThanOrEqual(63);
  }
}

const deploymentOf = (r: Rendered) => view<Workload>(find(r, 'Deployment'));
const jobOf = (r: Rendered) => view<Workload>(find(r, 'Job', '-migration'));
const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

jest.setTimeout(60_000);

beforeAll(() => {
  ensureRenderer();
}, 600_000);

describe('helm chart: defaults (values.yaml plus the required secrets)', () => {
  let r: Rendered;
  beforeAll(() => {
    r = render([requiredSecrets]);
  });

  it('should render only the default objects, all valid Kubernetes objects', () => {
    expect(kinds(r)).toEqual([
      'ConfigMap/aura-aura-authentication-api',
      'Deployment/aura-aura-authentication-api',
      'Job/aura-aura-authentication-api-migration',
      'PodDisruptionBudget/aura-aura-authentication-api',
      'Secret/aura-aura-authentication-api',
      'Secret/aura-aura-authentication-api-migration',
      'Service/aura-aura-authentication-api',
      'ServiceAccount/aura-aura-authentication-api',
    ]);
    expectValid(r);
  });

  it('should run the pods hardened: non-root, read-only root FS, no privilege escalation, no capabilities', () => {
    for (const spec of [deploymentOf(r).spec.template.spec, jobOf(r).spec.template.spec]) {
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
      });
      expect(spec.automountServiceAccountToken).toBe(false);
      const c = spec.containers[0];
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
      expect(c.resources?.requests).toBeDefined();
      expect(c.resources?.limits?.memory).toBeDefined();
    }
  });

  it('should probe liveness on /healthz, and startup and readiness on /readyz, on the http port', () => {
    const c = deploymentOf(r).spec.template.spec.containers[0];
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    for (const p of [c.startupProbe, c.readinessProbe]) {
      expect(p?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    }
    expect(c.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
  });

  it('should give the pod a grace period covering the preStop delay and the app drain timeout', () => {
    const spec = deploymentOf(r).spec.template.spec;
    const config = view<WithData>(find(r, 'ConfigMap'));
    const drainSeconds = Number(config.data.SHUTDOWN_TIMEOUT_MS) / 1000;
    const preStop = Number(spec.containers[0].lifecycle.preStop.exec.command[1]);
    expect(spec.containers[0].lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    expect(drainSeconds).toBe(10);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drainSeconds);
  });

  it('should put every plain setting in the ConfigMap and the secrets in the Secret, read with envFrom', () => {
    const config = view<WithData>(find(r, 'ConfigMap')).data;
    expect(config).toEqual({
      NODE_ENV: 'production',
      PORT: '3000',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      DATABASE_POOL_MAX: '10',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      DATABASE_STATEMENT_TIMEOUT_MS: '5000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      APIKEY_ENVIRONMENT: 'pro',
      APIKEY_QUERY_PARAM_ENABLED: 'false',
      APIKEY_CACHE_TTL_SECONDS: '30',
      RATE_LIMIT_TTL_SECONDS: '60',
      RATE_LIMIT_LIMIT: '6000',
      PUBLIC_BASE_URL: 'https://aura-auth.example.com',
      PHONE_DEFAULT_REGION: 'ES',
      DIRECTLINE_BASE_URL: 'https://directline.botframework.com',
      JWKS_MAX_AGE_SECONDS: '300',
      METRICS_ENABLED: 'true',
      SESSION_AUDIENCES: 'app',
      SESSION_ACCESS_TTL_SECONDS: '600',
      SESSION_IDLE_TIMEOUT_SECONDS: '86400',
      SESSION_ABSOLUTE_LIFETIME_SECONDS: '2592000',
      SESSION_REFRESH_GRACE_SECONDS: '10',
      SESSION_SWEEP_INTERVAL_SECONDS: '3600',
    });
    const secret = view<WithData>(find(r, 'Secret', 'aura-authentication-api')).data;
    expect(Object.keys(secret).sort()).toEqual(Object.keys(requiredSecrets.secrets).sort());
    expect(b64(secret.DATABASE_URL)).toBe(requiredSecrets.secrets.DATABASE_URL);
    const c = deploymentOf(r).spec.template.spec.containers[0];
    expect(c.envFrom).toEqual([
      { configMapRef: { name: 'aura-aura-authentication-api' } },
      { secretRef: { name: 'aura-aura-authentication-api' } },
    ]);
  });

  it('should roll the pods when the config or the secrets change (checksum annotations)', () => {
    const annotations = (x: Rendered) => deploymentOf(x).spec.template.metadata.annotations;
    const base = annotations(r);
    expect(base['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
    expect(base['checksum/secret']).toMatch(/^[a-f0-9]{64}$/);
    const configChanged = annotations(render([requiredSecrets, { config: { LOG_LEVEL: 'debug' } }]));
    expect(configChanged['checksum/config']).not.toBe(base['checksum/config']);
    expect(configChanged['checksum/secret']).toBe(base['checksum/secret']);
    const secretChanged = annotations(
      render([requiredSecrets, { secrets: { AUDIT_HMAC_SECRET: 'rotated-audit-secret' } }]),
    );
    expect(secretChanged['checksum/secret']).not.toBe(base['checksum/secret']);
    expect(secretChanged['checksum/config']).toBe(base['checksum/config']);
  });

  it('should run migrations in a pre-install,pre-upgrade hook Job, never in the replicas', () => {
    const job = jobOf(r);
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['node', CLI_ENTRY, 'migrations', 'run']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    // The chart's ConfigMap and Secret do not exist yet at pre-install: the
    // Job gets the settings inline and the secrets from a hook Secret made before it.
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'NODE_ENV', value: 'production' },
        { name: 'PORT', value: '3000' },
      ]),
    );
    expect(c.envFrom).toEqual([{ secretRef: { name: 'aura-aura-authentication-api-migration' } }]);
    const hookSecret = view<WithData>(find(r, 'Secret', '-migration'));
    expect(Number(hookSecret.metadata.annotations['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations['helm.sh/hook-weight']),
    );
    expect(hookSecret.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(hookSecret.data).toEqual(view<WithData>(find(r, 'Secret', 'aura-authentication-api')).data);
    // The API container has no command override: it runs the image's `node dist/main.js`.
    expect(deploymentOf(r).spec.template.spec.containers[0].command).toBeUndefined();
  });

  it('should keep the migration pods out of the Service, the PDB and the Deployment selector', () => {
    const selector = view<WithSpec<{ selector: Labels }>>(find(r, 'Service')).spec.selector;
    const jobLabels = jobOf(r).spec.template.metadata.labels;
    const matches = Object.entries(selector).every(([k, v]) => jobLabels[k] === v);
    expect(matches).toBe(false);
    const podLabels = deploymentOf(r).spec.template.metadata.labels;
    expect(Object.entries(selector).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(view<WithSpec<{ selector: object }>>(find(r, 'PodDisruptionBudget')).spec.selector).toEqual(
      deploymentOf(r).spec.selector,
    );
  });

  it('should render the install notes', () => {
    expect(r.notes).toContain('kubectl -n aura-auth exec deployment/aura-aura-authentication-api');
    expect(r.notes).toContain('api-keys create');
  });
});

describe('helm chart: production-like values', () => {
  let r: Rendered;
  beforeAll(() => {
    r = render([production], { isUpgrade: true, kubeVersion: 'v1.29.4' });
  });

  it('should render the optional objects, all valid Kubernetes objects', () => {
    expect(kinds(r)).toEqual([
      'ConfigMap/aura-aura-authentication-api',
      'Deployment/aura-aura-authentication-api',
      'HorizontalPodAutoscaler/aura-aura-authentication-api',
      'Ingress/aura-aura-authentication-api',
      'Job/aura-aura-authentication-api-migration',
      'NetworkPolicy/aura-aura-authentication-api',
      'PodDisruptionBudget/aura-aura-authentication-api',
      'Service/aura-aura-authentication-api',
      'ServiceAccount/aura-aura-authentication-api',
      'ServiceMonitor/aura-aura-authentication-api',
    ]);
    expectValid(r);
  });

  it('should read the secrets from the existing Secret and create none', () => {
    expect(r.manifests.filter((m) => m.object.kind === 'Secret')).toEqual([]);
    const d = deploymentOf(r);
    expect(d.spec.template.spec.containers[0].envFrom[1]).toEqual({
      secretRef: { name: 'aura-authentication-api-secrets' },
    });
    expect(d.spec.template.metadata.annotations['checksum/secret']).toBeUndefined();
    expect(jobOf(r).spec.template.spec.containers[0].envFrom).toEqual([
      { secretRef: { name: 'aura-authentication-api-secrets' } },
    ]);
  });

  it('should let the HPA own the replica count', () => {
    const d = deploymentOf(r);
    expect(d.spec.replicas).toBeUndefined();
    const hpa = view<
      WithSpec<{
        scaleTargetRef: object;
        minReplicas: number;
        metrics: { resource: { name: string } }[];
      }>
    >(find(r, 'HorizontalPodAutoscaler'));
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: d.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.metrics.map((m) => m.resource.name)).toEqual(['cpu', 'memory']);
    expect(view<WithSpec<object>>(find(r, 'PodDisruptionBudget')).spec).toMatchObject({
      minAvailable: 2,
    });
  });

  it('should derive the public URL from the ingress host and trust the ingress controller as one proxy hop', () => {
    const derived = render([production, { config: { PUBLIC_BASE_URL: '' } }], { kubeVersion: 'v1.29.4' });
    const config = view<WithData>(find(derived, 'ConfigMap')).data;
    expect(config.PUBLIC_BASE_URL).toBe('https://auth.aura.example.com');
    expect(config.TRUST_PROXY_HOPS).toBe('1');
  });

  it('should route the ingress and scrape the metrics through the http port', () => {
    const ing = view<
      WithSpec<{
        ingressClassName: string;
        rules: { http: { paths: { backend: { service: object } }[] } }[];
      }>
    >(find(r, 'Ingress'));
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({
      name: 'aura-aura-authentication-api',
      port: { name: 'http' },
    });
    const sm = view<WithSpec<{ endpoints: object[]; selector: { matchLabels: Labels } }>>(find(r, 'ServiceMonitor'));
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(sm.spec.endpoints[0]).toMatchObject({
      port: 'http',
      path: '/metrics',
      interval: '15s',
      // /metrics is public-tier: Prometheus sends `Authorization: APIKEY <key>` from the Secret.
      authorization: { type: 'APIKEY', credentials: { name: 'aura-auth-prometheus', key: 'api-key' } },
    });
    const svc = view<WithSpec<{ selector: Labels }>>(find(r, 'Service'));
    const smSelector = sm.spec.selector.matchLabels;
    expect(Object.entries(smSelector).every(([k, v]) => svc.metadata.labels[k] === v)).toBe(true);
  });

  it('should restrict the API pods network as configured', () => {
    const np = view<
      WithSpec<{
        podSelector: { matchLabels: Labels };
        policyTypes: string[];
        ingress: { from: object[] }[];
        egress: object[];
      }>
    >(find(r, 'NetworkPolicy'));
    expect(np.spec.podSelector.matchLabels).toEqual(deploymentOf(r).spec.selector.matchLabels);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress[0].from).toHaveLength(2);
    expect(np.spec.egress).toHaveLength(3); // DNS + database + 443
  });

  it('should pin the image by digest and apply the migration overrides to the Job only', () => {
    const image = `registry.example.com/aura/aura-authentication-api@sha256:${'a'.repeat(64)}`;
    expect(deploymentOf(r).spec.template.spec.containers[0].image).toBe(image);
    expect(jobOf(r).spec.template.spec.containers[0].image).toBe(image);
    expect(jobOf(r).spec.template.spec.containers[0].env).toContainEqual({
      name: 'DATABASE_STATEMENT_TIMEOUT_MS',
      value: '600000',
    });
    const config = view<WithData>(find(r, 'ConfigMap')).data;
    expect(config.DATABASE_STATEMENT_TIMEOUT_MS).toBe('5000');
    expect(config.USER_TTL_DAYS).toBe('30');
  });
});

describe('helm chart: values', () => {
  it('should accept a new plain setting as a single line under config', () => {
    const r = render([requiredSecrets, { config: { NEW_FEATURE_FLAG: true, BIG_NUMBER: 10000000 } }]);
    const data = view<WithData>(find(r, 'ConfigMap')).data;
    expect(data.NEW_FEATURE_FLAG).toBe('true');
    expect(data.BIG_NUMBER).toBe('10000000'); // not "1e+07"
    expectValid(r);
  });

  it.each<[string, object]>([
    ['no ServiceAccount', { serviceAccount: { create: false } }],
    ['no migration Job', { migration: { enabled: false } }],
    ['no PDB', { podDisruptionBudget: { enabled: false } }],
    ['platform-assigned user ids', { podSecurityContext: { runAsUser: null, runAsGroup: null, fsGroup: null } }],
    ['egress closed entirely', { networkPolicy: { enabled: true, egress: { enabled: true, allowDns: false } } }],
    [
      'extra env and a tag',
      {
        extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=384' }],
        image: { tag: '1.2.3' },
      },
    ],
  ])('should render valid objects with %s', (_name, values) => {
    const r = render([requiredSecrets, values]);
    expectValid(r);
  });

  it('should scrape the keyless metricsPort with a PodMonitor, and expose it through no Service', () => {
    const r = render([
      requiredSecrets,
      { metricsPort: 9464, serviceMonitor: { enabled: true }, networkPolicy: { enabled: true } },
    ]);
    expectValid(r);
    expect(r.manifests.map((m) => m.object.kind)).not.toContain('ServiceMonitor');
    const pm = view<WithSpec<{ podMetricsEndpoints: object[] }>>(find(r, 'PodMonitor'));
    expect(pm.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    expect(JSON.stringify(pm)).not.toContain('authorization');
    const container = view<WithSpec<{ template: { spec: { containers: { ports: object[] }[] } } }>>(
      find(r, 'Deployment'),
    ).spec.template.spec.containers[0];
    expect(container.ports).toContainEqual({ name: 'metrics', containerPort: 9464, protocol: 'TCP' });
    expect(view<WithData>(find(r, 'ConfigMap')).data.METRICS_PORT).toBe('9464');
    const svc = view<WithSpec<{ ports: { port: number; targetPort: unknown; name: string }[] }>>(find(r, 'Service'));
    expect(svc.spec.ports.map((port) => port.name)).toEqual(['http']);
    const np = view<WithSpec<{ ingress: { ports: { port: string }[] }[] }>>(find(r, 'NetworkPolicy'));
    expect(np.spec.ingress[0].ports.map((port) => port.port)).toEqual(['http', 'metrics']);
  });

  it('should let the migration Job override a setting with a falsy value, or unset it', () => {
    const r = render([
      requiredSecrets,
      {
        migration: {
          config: {
            DATABASE_STATEMENT_TIMEOUT_MS: 0,
            APIKEY_QUERY_PARAM_ENABLED: false,
            LOG_LEVEL: '',
          },
        },
        config: { APIKEY_QUERY_PARAM_ENABLED: true },
      },
    ]);
    const env = jobOf(r).spec.template.spec.containers[0].env ?? [];
    expect(env).toContainEqual({ name: 'DATABASE_STATEMENT_TIMEOUT_MS', value: '0' });
    expect(env).toContainEqual({ name: 'APIKEY_QUERY_PARAM_ENABLED', value: 'false' });
    expect(env.map((e) => e.name)).not.toContain('LOG_LEVEL');
    const config = view<WithData>(find(r, 'ConfigMap')).data;
    expect(config.DATABASE_STATEMENT_TIMEOUT_MS).toBe('5000');
    expect(config.APIKEY_QUERY_PARAM_ENABLED).toBe('true');
  });

  it.each<[string, object[], RegExp]>([
    ['no database URL (values.yaml alone)', [], /DATABASE_URL/],
    [
      'a database URL that is not PostgreSQL',
      [requiredSecrets, { secrets: { DATABASE_URL: 'mysql://x' } }],
      /DATABASE_URL/,
    ],
    ['an unknown log level', [requiredSecrets, { config: { LOG_LEVEL: 'verbose' } }], /LOG_LEVEL/],
    ['a replica count that is not a number', [requiredSecrets, { replicaCount: 'two' }], /replicaCount/],
    ['an unknown top-level key (a typo)', [requiredSecrets, { replicaCont: 3 }], /replicaCont/],
    ['root as the pod user', [requiredSecrets, { podSecurityContext: { runAsUser: 0 } }], /runAsUser/],
    ['a chart-derived variable set by hand', [requiredSecrets, { config: { PORT: 8080 } }], /PORT|config/],
    ['secrets alongside existingSecret', [requiredSecrets, { existingSecret: 'mine' }], /DATABASE_URL/],
    [
      'a ServiceMonitor with /metrics disabled',
      [
        requiredSecrets,
        {
          serviceMonitor: { enabled: true },
          config: { METRICS_ENABLED: false },
        },
      ],
      /METRICS_ENABLED/,
    ],
    ['a non-production NODE_ENV', [requiredSecrets, { config: { NODE_ENV: 'development' } }], /NODE_ENV/],
    [
      'a ServiceMonitor without the Secret of its API key',
      [requiredSecrets, { serviceMonitor: { enabled: true } }],
      /apiKeySecret|name/,
    ],
    ['METRICS_PORT set by hand', [requiredSecrets, { config: { METRICS_PORT: 9464 } }], /METRICS_PORT|config/],
    ['a privileged metricsPort', [requiredSecrets, { metricsPort: 80 }], /metricsPort/],
    [
      'both minAvailable and maxUnavailable',
      [requiredSecrets, { podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }],
      /maxUnavailable/,
    ],
  ])('should reject %s, at install (helm-render) and with ajv', (_name, valueSets, message) => {
    const error = renderError(valueSets);
    expect(error).toMatch(/values don't meet the specifications of the schema/);
    expect(error).toMatch(message);
    // The same values through ajv.
    const merged = coalesce(chartDefaults(), ...valueSets);
    expect(valuesErrors(merged).join('\n')).toMatch(message);
  });

  it('should fail the render when the HPA bounds are inverted', () => {
    expect(renderError([requiredSecrets, { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } }])).toMatch(
      /minReplicas must not exceed/,
    );
  });

  it('should refuse clusters older than the chart kubeVersion', () => {
    expect(renderError([requiredSecrets], { kubeVersion: 'v1.22.0' })).toMatch(/kubeVersion/);
  });
});

describe('helm chart: a broken template fails the checks', () => {
  let dir: string;
  const withTemplate = (file: string, edit: (s: string) => string): string => {
    const copy = path.join(dir, `chart-${Math.random().toString(36).slice(2)}`);
    cpSync(chartDir, copy, { recursive: true });
    const p = path.join(copy, 'templates', file);
    const before = readFileSync(p, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before);
    writeFileSync(p, after);
    return copy;
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aura-broken-chart-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should fail on a template syntax error', () => {
    const chart = withTemplate('service.yaml', (s) => s.replace('{{- end }}', ''));
    expect(renderError([requiredSecrets], { chart })).toMatch(/parse error|unexpected EOF/);
  });

  it('should fail on output that is not YAML', () => {
    const chart = withTemplate('service.yaml', (s) => s.replace('  type: {{', '    type: {{'));
    expect(renderError([requiredSecrets], { chart })).toMatch(/YAML parse error/);
  });

  it('should fail the Kubernetes schema on a wrongly typed field', () => {
    const chart = withTemplate('deployment.yaml', (s) =>
      s.replace('containerPort: {{ .Values.containerPort }}', 'containerPort: "{{ .Values.containerPort }}"'),
    );
    const r = render([requiredSecrets], { chart });
    expect(schemaErrors(find(r, 'Deployment'))).toMatch(/containerPort must be integer/);
  });

  it('should fail the field check on a misspelt security setting', () => {
    const chart = withTemplate('_helpers.tpl', (s) =>
      s.replace('readOnlyRootFilesystem: true', 'readOnlyRootFS: true'),
    );
    const r = render([requiredSecrets], { chart });
    expect(schemaErrors(find(r, 'Deployment'))).toBeNull(); // the JSON schema lets it through...
    expect(fieldErrors(r.manifests).join('\n')).toMatch(/readOnlyRootFS\W* does not exist in type 'ISecurityContext'/); // ...this does not
  });

  it('should fail on a missing kind', () => {
    const chart = withTemplate('pdb.yaml', (s) => s.replace('kind: PodDisruptionBudget', ''));
    const r = render([requiredSecrets], { chart });
    const pdb = r.manifests.filter((m) => m.template.endsWith('pdb.yaml'))[0].object;
    expect(schemaErrors(pdb)).not.toBeNull();
  });
});

describe('helm chart: Grafana dashboard and PrometheusRule', () => {
  it('should render neither by default', () => {
    const r = render([requiredSecrets]);
    expect(r.manifests.map((m) => m.object.kind)).not.toContain('PrometheusRule');
    expect(r.manifests.filter((m) => m.template.endsWith('grafana-dashboard.yaml'))).toEqual([]);
  });

  describe('when enabled', () => {
    let r: Rendered;
    beforeAll(() => {
      r = render([
        production,
        {
          grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'Aura' } },
          prometheusRule: {
            enabled: true,
            labels: { release: 'kube-prometheus-stack' },
            runbookUrl: 'https://git.example.com/aura/aura-authentication-api/blob/main/docs/runbook.md',
          },
        },
      ]);
    });

    it('should render both as valid objects', () => {
      expect(kinds(r)).toEqual(
        expect.arrayContaining([
          'ConfigMap/aura-aura-authentication-api-dashboard',
          'PrometheusRule/aura-aura-authentication-api',
        ]),
      );
      expectValid(r);
    });

    it('should label the dashboard for the Grafana sidecar and carry the chart file as it is', () => {
      const cm = view<WithData>(find(r, 'ConfigMap', '-dashboard'));
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      expect(cm.metadata.annotations).toEqual({ grafana_folder: 'Aura' });
      const file = readFileSync(path.join(chartDir, 'dashboards', 'aura-authentication-api.json'), 'utf8');
      expect(JSON.parse(cm.data['aura-authentication-api.json'])).toEqual(JSON.parse(file));
      const dashboard = JSON.parse(file) as { uid: string; panels: { id: number; title: string }[] };
      expect(dashboard.uid).toBe('aura-authentication-api');
      const ids = dashboard.panels.map((panel) => panel.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(dashboard.panels.map((panel) => panel.title)).toEqual(
        expect.arrayContaining([
          'Requests/s by tier',
          'Latency percentiles (all routes)',
          'Direct Line attempts by outcome',
          'Circuit breakers',
          'Rate-limit refusals (429/s) by route and tier',
          'Listener connected, by pod',
          'Database pool by pod',
        ]),
      );
    });

    it("should give every alert a severity and a runbook section that exists, scoped to the release's job", () => {
      const rule = view<
        WithSpec<{
          groups: { rules: { alert: string; expr: string; labels: Labels; annotations: Labels }[] }[];
        }>
      >(find(r, 'PrometheusRule'));
      expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
      const runbook = readFileSync(path.join(chartDir, '..', '..', 'docs', 'runbook.md'), 'utf8');
      const anchors = new Set([...runbook.matchAll(/^## (\w+)$/gm)].map((m) => m[1].toLowerCase()));
      const rules = rule.spec.groups.flatMap((g) => g.rules);
      expect(rules).toHaveLength(7);
      for (const alert of rules) {
        expect(['warning', 'critical']).toContain(alert.labels.severity);
        expect(alert.annotations.runbook_url).toBe(
          `https://git.example.com/aura/aura-authentication-api/blob/main/docs/runbook.md#${alert.alert.toLowerCase()}`,
        );
        expect(anchors).toContain(alert.alert.toLowerCase());
        expect(alert.expr).toContain('namespace="aura-auth"');
        // Prometheus' own templating reaches the annotations untouched by Helm's.
        expect(alert.annotations.description).not.toContain('<no value>');
      }
      const byName = new Map(rules.map((a) => [a.alert, a]));
      expect(byName.get('AuraAuthHighErrorRatio')?.expr).toContain('> 0.05');
      expect(byName.get('AuraAuthHighErrorRatio')?.expr).toContain('job="aura-authentication-api"');
      expect(byName.get('AuraAuthDirectLineCircuitOpen')?.annotations.description).toContain('{{ $labels.pod }}');
      expect(byName.get('AuraAuthPodNotReady')?.expr).toContain('pod!~"aura-aura-authentication-api-migration-.*"');
    });

    it('should refuse an error ratio above 1 and a runbook URL that is not one', () => {
      for (const prometheusRule of [
        { enabled: true, errorRatio: 5 },
        { enabled: true, runbookUrl: 'docs/runbook.md' },
      ]) {
        const values = coalesce(chartDefaults(), requiredSecrets, { prometheusRule });
        expect(valuesErrors(values)).not.toEqual([]);
        expect(renderError([requiredSecrets, { prometheusRule }])).toMatch(/prometheusRule/);
      }
    });
  });
});
