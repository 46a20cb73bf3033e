import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BUILD_DIR, CLI_ENTRY, DATA_SOURCE_ENTRY, SERVICE_ENTRY } from 'src/build-paths';

/**
 * src/build-paths.ts is the one definition of where the build puts the service, the CLI and the migrations.
 * Files that cannot import it (package.json, Dockerfile, chart, CI, docs) must name exactly those paths.
 */
/** The layout before the entry moved to dist/main.js, spelt so that this file does not name it. */
const OLD_LAYOUT = ['dist', 'src', ''].join('/');
const read = (file: string) => readFileSync(file, 'utf8');
const trackedTextFiles = () =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
    .split('\n')
    .filter((file) => /\.(ts|js|json|md|ya?ml|txt|tpl)$|^Dockerfile$|^\.ci\//.test(file))
    .filter((file) => !file.endsWith('package-lock.json') && !file.startsWith('openapi/'));

describe('build layout', () => {
  it('should build src/ into dist/ with the entry at dist/main.js (nest-cli.json)', () => {
    const nest = JSON.parse(read('nest-cli.json'));
    expect(nest.sourceRoot).toBe('src');
    expect(`${BUILD_DIR}/${nest.entryFile}.js`).toBe(SERVICE_ENTRY);
    expect(nest.compilerOptions.builder).toEqual({ type: 'swc', options: { stripLeadingPaths: true } });
  });

  it("should compile class fields as tsc does (define semantics): loadConfig lists AppConfig's optional fields", () => {
    const swcrc = JSON.parse(read('.swcrc'));
    expect(swcrc.jsc.transform).toMatchObject({
      legacyDecorator: true,
      decoratorMetadata: true,
      useDefineForClassFields: true,
    });
  });

  it('should start, migrate and run the CLI from the defined paths (package.json scripts)', () => {
    const { main, scripts } = JSON.parse(read('package.json')) as { main: string; scripts: Record<string, string> };
    expect(main).toBe(SERVICE_ENTRY);
    expect(scripts.prestart).toBe('node scripts/build-if-stale.js');
    expect(scripts.start.split(' ').at(-1)).toBe(SERVICE_ENTRY);
    expect(scripts.cli).toBe(`node ${CLI_ENTRY}`);
    expect(scripts.openapi).toContain(`node ${CLI_ENTRY} openapi`);
    expect(scripts.build).toBe('node scripts/build.js');
    // scripts/build.js cannot import this file: it names the same folder, and keeps migrations/ under it.
    expect(read('scripts/build.js')).toContain(`const BUILD_DIR = '${BUILD_DIR}';`);
    expect(read('scripts/build.js')).toContain(`filenames: ['migrations'], stripLeadingPaths: false`);
    for (const name of ['migration:run', 'migration:revert', 'migration:generate', 'migration:check']) {
      expect(scripts[name]).toContain(`-d ${DATA_SOURCE_ENTRY}`);
    }
  });

  it('should let CI reach the build only through the npm scripts', () => {
    expect(read('.ci/run')).not.toMatch(/\bdist\//);
  });

  it('should name no other entry anywhere in the repository (Dockerfile, chart, docs, bench, tests)', () => {
    const offenders: string[] = [];
    for (const file of trackedTextFiles()) {
      for (const match of read(file).matchAll(/\bdist\/(?:[\w-]+\/)*main\.js\b/g)) {
        if (match[0] !== SERVICE_ENTRY && match[0] !== CLI_ENTRY) {
          offenders.push(`${file}: ${match[0]}`);
        }
      }
      if (read(file).includes(OLD_LAYOUT)) {
        offenders.push(`${file}: ${OLD_LAYOUT}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
