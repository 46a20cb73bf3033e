import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const DASHBOARD_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  'helm',
  'aura-authentication-api',
  'dashboards',
  'aura-authentication-api.json',
);

/** Words of PromQL that are not metric names: operators, modifiers, label-grouping keywords. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: every identifier that is not a function or aggregation (followed by
 * `(`), a keyword, a label name (inside `{…}`, or the list after by/without/on/ignoring), a string, a number or a
 * range. Grafana's variables (`$namespace`, `$__rate_interval`) only appear in matchers and ranges.
 */
export function metricNames(expression: string): string[] {
  const text = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const match of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = text.slice((match.index ?? 0) + match[0].length).trimStart();
    const before = text.slice(0, match.index).trimEnd();
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase()) || /[0-9.]$/.test(before)) {
      continue;
    }
    names.add(match[0]);
  }
  return [...names];
}

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { type: string; query?: string | { query?: string } }[] };
}

/** Every PromQL expression of the dashboard: its panels' targets and its variables' `label_values(…)` queries. */
export function dashboardExpressions(file = DASHBOARD_FILE): string[] {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
  const expressions: string[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      expressions.push(...(panel.targets ?? []).flatMap((target) => (target.expr ? [target.expr] : [])));
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const selector = variable.type === 'query' ? /^label_values\((.*),\s*\w+\)$/.exec(query ?? '')?.[1] : undefined;
    if (selector !== undefined) {
      expressions.push(selector);
    }
  }
  return expressions;
}

/** The metric families of a Prometheus text exposition (`# TYPE name type`), by name. */
export function exposedFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    families.set(match[1], match[2]);
  }
  return families;
}

/** Whether `name` is a series of one of the families: the family itself, or a histogram's _bucket/_sum/_count. */
export function isExposed(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) {
    return true;
  }
  const base = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (base === null) {
    return false;
  }
  const type = families.get(base[1]);
  return type === 'histogram' || (type === 'summary' && base[2] !== 'bucket');
}
