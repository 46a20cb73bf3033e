/**
 * Where a server's CPU went, from a V8 CPU profile (BENCH_PROFILE=1 writes one per server to bench-results/):
 * `node dist-bench/bench/profile-summary.js <file.cpuprofile> [seconds]` keeps the samples of the profile's
 * last `seconds` (default: all but the first 40 %, which hold boot and warm-up) and prints, as shares of the
 * busy samples, the self time by where the code lives (a package, our src/ folders, Node, GC) and the
 * inclusive time of each package and src folder (the share of samples with it anywhere on the stack).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The place a frame's code lives: `pkg:<name>`, `src:<folder>`, `bench`, `node`, or V8's own entries. */
function placeOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') {
    return functionName.startsWith('(') ? functionName : 'native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) {
    return `pkg:${pkg[1]}`;
  }
  const src = /\/dist(?:-bench)?\/(?:src\/)?([^/]+)\//.exec(url);
  if (url.includes('/dist-bench/bench/')) {
    return 'bench';
  }
  if (src !== null) {
    return `src:${src[1]}`;
  }
  return url.startsWith('node:') ? 'node' : url;
}

function summarize(profile: Profile, seconds: number | undefined): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parent.set(child, node.id);
    }
  }
  const times: number[] = [];
  let at = 0;
  for (const delta of profile.timeDeltas) {
    at += delta;
    times.push(at);
  }
  const from = seconds === undefined ? at * 0.4 : at - seconds * 1e6;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    if (times[index] < from) {
      return;
    }
    const place = placeOf(byId.get(id)!.callFrame);
    if (place === '(idle)' || place === '(program)') {
      idle++;
      return;
    }
    busy++;
    self.set(place, (self.get(place) ?? 0) + 1);
    const onStack = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      onStack.add(placeOf(byId.get(node)!.callFrame));
    }
    for (const place of onStack) {
      inclusive.set(place, (inclusive.get(place) ?? 0) + 1);
    }
  });
  const percent = (count: number) => `${((count / Math.max(1, busy)) * 100).toFixed(1)} %`;
  const list = (counts: Map<string, number>, limit: number) =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([place, count]) => `  ${percent(count).padStart(7)}  ${place}`)
      .join('\n');
  console.log(`${busy} busy samples (${idle} idle or program), from ${(from / 1e6).toFixed(1)} s`);
  console.log(`Self time:\n${list(self, 25)}`);
  console.log(`Inclusive (on the stack):\n${list(inclusive, 30)}`);
}

const [file, seconds] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node dist-bench/bench/profile-summary.js <file.cpuprofile> [seconds]');
  process.exit(2);
}
summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, seconds === undefined ? undefined : Number(seconds));
