/**
 * The scale curve as a small hand-written SVG (no chart dependency): the latency of the lookup and of the
 * get-or-create, p50 and p99, against the number of users on a logarithmic axis.
 */

/** Sizes of the users table and of each of its indexes, in MB. */
export interface SizeReport {
  tableMb: number;
  heapMb: number;
  indexesMb: number;
  totalMb: number;
  indexes: Record<string, number>;
}

interface Latency {
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
}

/** One size of the scale run. */
export interface ScalePoint {
  users: number;
  /** Time taken to grow the table to this size (0 for the first, seeded before the servers start). */
  seedingSeconds: number;
  size: SizeReport;
  get: Latency;
  getOrCreate: Latency;
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 60, right: 170, top: 30, bottom: 50 };

const SERIES = [
  { label: 'lookup p50', color: '#1f77b4', dash: '', value: (p: ScalePoint) => p.get.p50 },
  { label: 'lookup p99', color: '#1f77b4', dash: '6 4', value: (p: ScalePoint) => p.get.p99 },
  { label: 'get-or-create p50', color: '#d62728', dash: '', value: (p: ScalePoint) => p.getOrCreate.p50 },
  { label: 'get-or-create p99', color: '#d62728', dash: '6 4', value: (p: ScalePoint) => p.getOrCreate.p99 },
];

const users = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** A round step for about five grid lines up to `max`. */
function step(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw) ?? raw;
}

export function scaleSvg(points: ScalePoint[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const logs = points.map((p) => Math.log10(p.users));
  const [minLog, maxLog] = [Math.min(...logs), Math.max(...logs)];
  const x = (n: number) =>
    MARGIN.left + (maxLog === minLog ? plotWidth / 2 : ((Math.log10(n) - minLog) / (maxLog - minLog)) * plotWidth);
  const maxValue = Math.max(1, ...points.flatMap((p) => SERIES.map((s) => s.value(p))));
  const yStep = step(maxValue);
  const yMax = Math.ceil(maxValue / yStep) * yStep;
  const y = (ms: number) => MARGIN.top + plotHeight - (ms / yMax) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="bold">Latency against users in the table (ms, 50 connections)</text>`,
  ];
  for (let ms = 0; ms <= yMax; ms += yStep) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(ms) + 4}" text-anchor="end">${Math.round(ms * 10) / 10}</text>`,
    );
  }
  for (const p of points) {
    parts.push(
      `<line x1="${x(p.users)}" x2="${x(p.users)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#eee"/>`,
      `<text x="${x(p.users)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${users(p.users)}</text>`,
      `<text x="${x(p.users)}" y="${MARGIN.top + plotHeight + 32}" text-anchor="middle" fill="#666" font-size="10">${Math.round(p.size.totalMb)} MB</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 4}" text-anchor="middle">users (log scale; table + indexes size below)</text>`,
  );
  SERIES.forEach((series, i) => {
    const path = points.map((p) => `${x(p.users).toFixed(1)},${y(series.value(p)).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2" stroke-dasharray="${series.dash}"/>`,
      ...points.map(
        (p) =>
          `<circle cx="${x(p.users).toFixed(1)}" cy="${y(series.value(p)).toFixed(1)}" r="3" fill="${series.color}"/>`,
      ),
    );
    const legendY = MARGIN.top + 10 + i * 20;
    const legendX = MARGIN.left + plotWidth + 15;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 25}" y1="${legendY}" y2="${legendY}" stroke="${series.color}" stroke-width="2" stroke-dasharray="${series.dash}"/>`,
      `<text x="${legendX + 32}" y="${legendY + 4}">${series.label}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
