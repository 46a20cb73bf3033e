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

/** PostgreSQL's block reads while a size was measured: from its buffer cache (hits) or from outside it. */
export interface IoReport {
  blocksHit: number;
  blocksRead: number;
  /** Share of block accesses served by shared_buffers, in per cent. */
  hitPercent: number;
  /** Time spent reading the other blocks (the OS page cache or the disk), in ms (track_io_timing). */
  readMs: number;
}

/** One size of the scale run. */
export interface ScalePoint {
  users: number;
  /** Time taken to grow the table to this size (0 for the first, seeded before the servers start). */
  seedingSeconds: number;
  size: SizeReport;
  get: Latency;
  getOrCreate: Latency;
  /** The lookup at a fixed rate, well below saturation. */
  paced: Latency;
  io: IoReport;
}

const PANEL = { width: 330, height: 300, left: 50, right: 15, top: 50, bottom: 45 };
const LEGEND_WIDTH = 170;

interface Series {
  label: string;
  color: string;
  dash: string;
  value(point: ScalePoint): number;
}

const line = (label: string, color: string, dash: string, value: (point: ScalePoint) => number): Series => ({
  label,
  color,
  dash,
  value,
});

const panels = (rate: number): { title: string; series: Series[] }[] => [
  {
    title: '50 connections, closed loop',
    series: [
      line('lookup p50', '#1f77b4', '', (p) => p.get.p50),
      line('lookup p99', '#1f77b4', '6 4', (p) => p.get.p99),
      line('get-or-create p50', '#d62728', '', (p) => p.getOrCreate.p50),
      line('get-or-create p99', '#d62728', '6 4', (p) => p.getOrCreate.p99),
    ],
  },
  {
    title: `lookup at ${rate} req/s, open loop`,
    series: [
      line('fixed-rate lookup p50', '#2ca02c', '', (p) => p.paced.p50),
      line('fixed-rate lookup p99', '#2ca02c', '6 4', (p) => p.paced.p99),
    ],
  },
];

const users = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** A round step for about five grid lines up to `max`. */
function step(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw) ?? raw;
}

function panel(points: ScalePoint[], title: string, series: Series[], offset: number): string[] {
  const plotWidth = PANEL.width - PANEL.left - PANEL.right;
  const plotHeight = PANEL.height - PANEL.top - PANEL.bottom;
  const [left, top, bottom] = [offset + PANEL.left, PANEL.top, PANEL.top + plotHeight];
  const logs = points.map((p) => Math.log10(p.users));
  const [minLog, maxLog] = [Math.min(...logs), Math.max(...logs)];
  const x = (n: number) =>
    left + (maxLog === minLog ? plotWidth / 2 : ((Math.log10(n) - minLog) / (maxLog - minLog)) * plotWidth);
  const maxValue = Math.max(0.1, ...points.flatMap((p) => series.map((s) => s.value(p))));
  const yStep = step(maxValue);
  const yMax = Math.ceil(maxValue / yStep) * yStep;
  const y = (ms: number) => bottom - (ms / yMax) * plotHeight;
  const parts = [`<text x="${left}" y="${top - 10}" font-weight="bold">${title} (ms)</text>`];
  for (let i = 0; i * yStep <= yMax; i++) {
    const ms = i * yStep;
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(ms) + 4}" text-anchor="end">${Math.round(ms * 10) / 10}</text>`,
    );
  }
  for (const p of points) {
    parts.push(
      `<text x="${x(p.users)}" y="${bottom + 16}" text-anchor="middle">${users(p.users)}</text>`,
      `<text x="${x(p.users)}" y="${bottom + 29}" text-anchor="middle" fill="#666" font-size="10">${Math.round(p.size.totalMb)} MB</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`,
  );
  for (const s of series) {
    const path = points.map((p) => `${x(p.users).toFixed(1)},${y(s.value(p)).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`,
      ...points.map(
        (p) => `<circle cx="${x(p.users).toFixed(1)}" cy="${y(s.value(p)).toFixed(1)}" r="3" fill="${s.color}"/>`,
      ),
    );
  }
  return parts;
}

/** The chart of the scale run; `rate` is the fixed rate of its open-loop lookup. */
export function scaleSvg(points: ScalePoint[], rate: number): string {
  const PANELS = panels(rate);
  const width = PANEL.width * PANELS.length + LEGEND_WIDTH;
  const height = PANEL.height;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${PANEL.left}" y="18" font-size="14" font-weight="bold">Latency against users in the table (log scale; table + indexes size below)</text>`,
    ...PANELS.flatMap(({ title, series }, i) => panel(points, title, series, i * PANEL.width)),
  ];
  PANELS.flatMap(({ series }) => series).forEach((s, i) => {
    const [legendX, legendY] = [PANEL.width * PANELS.length + 5, PANEL.top + 10 + i * 20];
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 25}" y1="${legendY}" y2="${legendY}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`,
      `<text x="${legendX + 32}" y="${legendY + 4}">${s.label}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
