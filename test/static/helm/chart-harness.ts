/**
 * Test support for the Helm chart: renders it with helm-render (Go
 * text/template + Sprig, as Helm does; see helm/test/renderer/main.go) and
 * checks every rendered object three ways:
 *
 *  1. against the Kubernetes JSON schemas (kubernetes-models validators; the
 *     ServiceMonitor CRD with @kubernetes-models/prometheus-operator);
 *  2. for unknown fields, which those schemas let through but the API server
 *     rejects or silently drops (a typo such as `readOnlyRootFS` would
 *     otherwise pass): each object is type-checked as an object literal of
 *     the model's TypeScript interface, whose excess-property check names
 *     the unknown field;
 *  3. the merged values against values.schema.json with ajv.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import * as ts from 'typescript';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const chartDir = path.join(repoRoot, 'helm', 'aura-authentication-api');
export const rendererBin = path.join(repoRoot, 'helm', 'test', '.bin', 'helm-render');
const installScript = path.join(repoRoot, 'helm', 'test', 'install-renderer.sh');

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
};

export interface Rendered {
  values: Record<string, unknown>;
  manifests: { template: string; object: K8sObject }[];
  notes: string;
}

export interface RenderOptions {
  chart?: string;
  name?: string;
  namespace?: string;
  isUpgrade?: boolean;
  kubeVersion?: string;
  skipSchemaValidation?: boolean;
}

/** Installs (if needed) and builds the renderer; a no-op when up to date. */
export function ensureRenderer(): void {
  execFileSync('bash', [installScript], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Values that every install must provide (the schema requires them). */
export const requiredSecrets = {
  config: { PUBLIC_BASE_URL: 'https://aura-auth.example.com' },
  secrets: {
    DATABASE_URL: 'postgres://aura:aura@postgres.db.svc:5432/aura?sslmode=require',
    CALLBACK_CIPHER_KEYS: 'k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    OPENID_SIGNING_KEYS: '[{"kid":"sig-1","alg":"RS256","pem":"-----BEGIN PRIVATE KEY-----..."}]',
    AUDIT_HMAC_SECRET: 'an-audit-hmac-secret-of-enough-length',
  },
};

function runRenderer(valueSets: object[], opts: RenderOptions) {
  const dir = mkdtempSync(path.join(tmpdir(), 'aura-chart-'));
  try {
    const args = [
      '--chart',
      opts.chart ?? chartDir,
      '--name',
      opts.name ?? 'aura',
      '--namespace',
      opts.namespace ?? 'aura-auth',
      '--output',
      'json',
    ];
    if (opts.isUpgrade) {
      args.push('--is-upgrade');
    }
    if (opts.skipSchemaValidation) {
      args.push('--skip-schema-validation');
    }
    if (opts.kubeVersion) {
      args.push('--kube-version', opts.kubeVersion);
    }
    valueSets.forEach((v, i) => {
      // JSON is YAML: helm reads it the same way.
      const file = path.join(dir, `values-${i}.yaml`);
      writeFileSync(file, JSON.stringify(v));
      args.push('-f', file);
    });
    return spawnSync(rendererBin, args, {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders the chart like `helm template`; throws with helm's error text on failure. */
export function render(valueSets: object[], opts: RenderOptions = {}): Rendered {
  const r = runRenderer(valueSets, opts);
  if (r.error) {
    throw r.error;
  }
  if (r.status !== 0) {
    throw new Error(`render failed (exit ${r.status}): ${r.stderr.trim()}`);
  }
  return JSON.parse(r.stdout) as Rendered;
}

/** Renders expecting a failure; returns helm's error text. */
export function renderError(valueSets: object[], opts: RenderOptions = {}): string {
  const r = runRenderer(valueSets, opts);
  if (r.error) {
    throw r.error;
  }
  if (r.status === 0) {
    throw new Error('render succeeded but a failure was expected');
  }
  return r.stderr.trim();
}

// ---- 1. Kubernetes JSON schemas ----

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** apiVersion -> module that exports one model class per kind. */
function modelModule(apiVersion: string): {
  module: string;
  typesPrefix: string;
} {
  if (apiVersion === 'monitoring.coreos.com/v1') {
    const m = '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
    return { module: m, typesPrefix: m };
  }
  const m = `kubernetes-models/${apiVersion}`;
  return { module: m, typesPrefix: m };
}

export function schemaErrors(obj: K8sObject): string | null {
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(modelModule(obj.apiVersion).module) as Record<string, unknown>;
  } catch {
    return `no schema for apiVersion ${obj.apiVersion}`;
  }
  const Cls = mod[obj.kind] as ModelClass | undefined;
  if (typeof Cls !== 'function') {
    return `no schema for ${obj.apiVersion} ${obj.kind}`;
  }
  try {
    new Cls(obj).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

// ---- 2. unknown fields, via the models' TypeScript interfaces ----

const tsOptions: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: [],
};

/**
 * Returns one message per unknown field or wrong type, e.g.
 * "templates/deployment.yaml Deployment/x: Object literal may only specify
 * known properties, and 'readOnlyRootFS' does not exist in type ...".
 */
export function fieldErrors(manifests: Rendered['manifests']): string[] {
  // A virtual file inside the repository so node_modules resolves.
  const file = path.join(repoRoot, 'test', 'helm', '__rendered_manifests__.ts');
  const lines: string[] = [];
  const spans: { from: number; to: number; label: string }[] = [];
  manifests.forEach(({ template, object }, i) => {
    const { typesPrefix } = modelModule(object.apiVersion);
    lines.push(`import type { I${object.kind} as T${i} } from '${typesPrefix}/${object.kind}';`);
    const body = JSON.stringify(object, null, 2).split('\n');
    const from = lines.length;
    lines.push(`export const m${i}: T${i} = ${body[0]}`, ...body.slice(1));
    lines[lines.length - 1] += ';';
    spans.push({
      from,
      to: lines.length,
      label: `${template.replace(/^[^/]+\//, '')} ${object.kind}/${object.metadata?.name}`,
    });
  });
  const source = lines.join('\n');
  const host = ts.createCompilerHost(tsOptions);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    path.resolve(name) === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], tsOptions, host);
  const sf = program.getSourceFile(file);
  if (!sf) {
    throw new Error('the generated manifest file was not loaded');
  }
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
    const line = d.start === undefined ? -1 : sf.getLineAndCharacterOfPosition(d.start).line;
    const span = spans.find((s) => line >= s.from && line < s.to);
    const where = span ? span.label : `line ${line + 1}`;
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

// ---- 3. values against values.schema.json ----

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateValues = ajv.compile(
  JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as object,
);

export function valuesErrors(values: unknown): string[] {
  if (validateValues(values)) {
    return [];
  }
  return (validateValues.errors ?? []).map((e) => {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    return `${e.instancePath || '/'} ${e.message}${extra ? `: ${extra}` : ''}`;
  });
}

// ---- helpers for assertions ----

export function find(r: Rendered, kind: string, nameSuffix = ''): K8sObject {
  const hits = r.manifests.map((m) => m.object).filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (hits.length !== 1) {
    throw new Error(`expected one ${kind} named *${nameSuffix}, found ${hits.length}`);
  }
  return hits[0];
}

export function kinds(r: Rendered): string[] {
  return r.manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort();
}

type Values = Record<string, unknown>;
const isMap = (v: unknown): v is Values => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The values helm validates and renders with: the user's value sets merged
 * in order, then coalesced over the chart's values.yaml, where a null
 * deletes the key (helm's chartutil.CoalesceValues, as in helm-render).
 */
export function coalesce(defaults: Values, ...valueSets: object[]): Values {
  const mergeMaps = (a: Values, b: Values): Values => {
    const out: Values = { ...a };
    for (const [k, v] of Object.entries(b)) {
      out[k] = isMap(v) && isMap(out[k]) ? mergeMaps(out[k], v) : v;
    }
    return out;
  };
  const over = (user: Values, base: Values): Values => {
    const out: Values = { ...base };
    for (const [k, v] of Object.entries(user)) {
      if (v === null) {
        delete out[k];
      } else {
        out[k] = isMap(v) && isMap(out[k]) ? over(v, out[k]) : v;
      }
    }
    return out;
  };
  return over(
    valueSets.reduce<Values>((acc, v) => mergeMaps(acc, v as Values), {}),
    defaults,
  );
}

/** values.yaml as helm reads it (rendered without the schema check). */
export function chartDefaults(): Values {
  return render([], { skipSchemaValidation: true }).values;
}
