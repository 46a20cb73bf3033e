/**
 * Static checks of the Dockerfile and .dockerignore (no Docker engine is
 * available to build the image here), and of their agreement with the chart.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chartDir, repoRoot } from './chart-harness';
import { SERVICE_ENTRY } from 'src/build-paths';

/** A top-level or nested scalar of the chart's values.yaml (first match). */
function chartValue(key: string): number {
  const values = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
  const m = new RegExp(`^\\s*${key}:\\s*(\\d+)\\s*$`, 'm').exec(values);
  if (!m) {
    throw new Error(`${key} not found in values.yaml`);
  }
  return Number(m[1]);
}

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { op: op.toUpperCase(), args: rest.replace(/\s+/g, ' ') };
    if (instruction.op === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args) ?? [];
      stages.push({ from: image, name: name ?? String(stages.length), instructions: [] });
    } else if (stages.length === 0) {
      const [, key, value] = /^ARG (\w+)=(.*)$/.exec(line) ?? [];
      if (key) {
        args[key] = value;
      }
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
const final = dockerfile.stages[dockerfile.stages.length - 1];
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
const stage = (name: string | undefined): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) {
    throw new Error(`no stage named ${String(name)}`);
  }
  return found;
};
const exec = (stage: Stage, op: string): string[] => {
  const found = ops(stage, op);
  return found.length ? (JSON.parse(found[found.length - 1].args) as string[]) : [];
};

describe('Dockerfile', () => {
  it('should build in several stages on the Node line CI tests (.nvmrc)', () => {
    const line = readFileSync(path.join(repoRoot, '.nvmrc'), 'utf8').trim();
    expect(line).toMatch(/^\d+$/);
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile.args.NODE_IMAGE).toMatch(new RegExp(`^node:${line}[.-]`));
    for (const s of dockerfile.stages) {
      expect(s.from).toBe('${NODE_IMAGE}');
    }
  });

  it('should build with every dependency and ship production dependencies only', () => {
    const build = stage('build');
    const runs = (s: Stage) => ops(s, 'RUN').map((i) => i.args);
    expect(runs(build).join('\n')).toMatch(/npm ci\b/);
    expect(runs(build).join('\n')).toMatch(/npm run build/);
    const copies = ops(final, 'COPY').map((i) => i.args);
    const nodeModules = copies.find((c) => / \.\/node_modules$/.test(c));
    const depsStage = /--from=(\S+)/.exec(nodeModules ?? '')?.[1];
    const deps = stage(depsStage);
    expect(runs(deps).join('\n')).toMatch(/npm ci --omit=dev/);
    expect(copies).toEqual(
      expect.arrayContaining([
        '--from=build /app/dist ./dist',
        'package.json ./',
        `--from=${depsStage} /app/node_modules ./node_modules`,
      ]),
    );
    expect(final.instructions.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
  });

  it('should run as a numeric non-root user, matching the chart', () => {
    const users = ops(final, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const [uid, gid] = users[users.length - 1].args.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(uid).toBe(chartValue('runAsUser'));
    expect(gid).toBe(chartValue('runAsGroup'));
  });

  it('should start node itself as PID 1 on dist/main.js, in exec form', () => {
    expect([...exec(final, 'ENTRYPOINT'), ...exec(final, 'CMD')]).toEqual(['node', SERVICE_ENTRY]);
  });

  it('should expose the chart port and declare no HEALTHCHECK', () => {
    expect(ops(final, 'EXPOSE').map((i) => i.args)).toEqual([String(chartValue('containerPort'))]);
    for (const stage of dockerfile.stages) {
      expect(ops(stage, 'HEALTHCHECK')).toEqual([]);
    }
  });

  it('should keep only the data folder writable, for the embedded mode', () => {
    const env = ops(final, 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/DATA_DIR=\/app\/data/);
    expect(env).toMatch(/NODE_ENV=production/);
    const chowns = ops(final, 'RUN').filter((i) => /chown/.test(i.args));
    expect(chowns.map((i) => i.args)).toEqual([expect.stringMatching(/chown 1000:1000 \/app\/data$/)]);
  });
});

describe('.dockerignore', () => {
  const ignored = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it.each(['node_modules/', 'dist/', 'data/', '.env', '.env.*', '.git/', 'helm/', 'test/'])(
    'should keep %s out of the build context',
    (entry) => {
      expect(ignored).toContain(entry);
    },
  );

  it('should not exclude what the build needs', () => {
    for (const needed of ['src', 'migrations', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      expect(ignored.filter((p) => p.replace(/\/$/, '') === needed || p === '**')).toEqual([]);
    }
  });
});
