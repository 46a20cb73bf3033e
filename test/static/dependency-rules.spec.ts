import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The dependency rules of .dependency-cruiser.cjs (run by `npm run lint`, green on the tree) fail on bad
 * imports: a small tree with one of each, cruised with the repository's configuration.
 */
const BAD_TREE: Record<string, string> = {
  'src/users/users.repository.ts': 'export class UsersRepository {}\n',
  'src/users/users.service.ts':
    "import { CallbacksService } from 'src/callbacks/callbacks.service';\nexport class UsersService { c = CallbacksService; }\n",
  'src/callbacks/callbacks.service.ts':
    "import { UsersService } from 'src/users/users.service';\nexport class CallbacksService { u = UsersService; }\n",
  'src/common/http/uses-a-feature.ts':
    "import { UsersService } from 'src/users/users.service';\nexport const service = UsersService;\n",
  'src/admin/admin.service.ts':
    "import { UsersRepository } from 'src/users/users.repository';\nexport const repository = UsersRepository;\n",
  'src/database/database.ts':
    "import { UsersService } from 'src/users/users.service';\nexport const service = UsersService;\n",
  'src/users/users.sql.ts': "export const FIND = { name: 'users_find', text: 'SELECT 1', params: () => [] };\n",
  'src/users/users.controller.ts':
    "import type { EntityManager } from 'typeorm';\nimport { FIND } from 'src/users/users.sql';\n" +
    'export const find = (manager: EntityManager) => manager.query(FIND.text);\n',
  'src/gvp/gvp.settings.ts':
    "import { UsersService } from 'src/users/users.service';\nexport class GvpSettings { u = UsersService; }\n",
  'src/common/http/reads-settings.ts':
    "import { GvpSettings } from 'src/gvp/gvp.settings';\nexport const settings = GvpSettings;\n",
  'src/users/user.entity.ts': "import { Entity } from 'typeorm';\n@Entity('aura_users')\nexport class AuraUser {}\n",
  'src/app.module.ts': 'export class AppModule {}\n',
  'src/openid/openid.service.ts': "import { AppModule } from 'src/app.module';\nexport const root = AppModule;\n",
  'src/auth/passport/auth.module.ts':
    "import { UsersService } from 'src/users/users.service';\nexport class AuthModule { u = UsersService; }\n",
  'src/auth/tier.ts': "import { UsersService } from 'src/users/users.service';\nexport const tier = UsersService;\n",
  'src/health/health.controller.ts':
    "import { AuthModule } from 'src/auth/passport/auth.module';\nexport const auth = AuthModule;\n",
  'src/common/tracing/tracing.ts': "import { NodeSDK } from '@opentelemetry/sdk-node';\nexport const sdk = NodeSDK;\n",
  'src/main.ts': "import { sdk } from 'src/common/tracing/tracing';\nexport const started = sdk;\n",
  'src/common/logging/request-logger.ts': "import { trace } from '@opentelemetry/api';\nexport const api = trace;\n",
  'tsconfig.json': JSON.stringify({ compilerOptions: { paths: { 'src/*': ['./src/*'] } } }),
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string, configFile: string): Violation[] {
  const bin = resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const config = resolve(configFile);
  let output: string;
  try {
    output = execFileSync(process.execPath, [bin, 'src', '--config', config, '--output-type', 'json'], {
      cwd,
      encoding: 'utf8',
    });
  } catch (error) {
    // depcruise exits non-zero when it finds violations; the report is still on stdout.
    output = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(output) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('dependency rules', () => {
  let dir: string;
  let violations: Violation[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aura-depcruise-'));
    for (const [file, text] of Object.entries(BAD_TREE)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    violations = [...cruise(dir, '.dependency-cruiser.cjs'), ...cruise(dir, '.dependency-cruiser.folders.cjs')];
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const found = (rule: string) => violations.filter((violation) => violation.rule.name === rule);

  it('should refuse a cycle between files and between feature folders', () => {
    const cyclic = found('no-circular').map((violation) => violation.from);
    expect(cyclic.length).toBeGreaterThan(0);
    expect(cyclic.every((file) => /^src\/(users|callbacks)\//.test(file))).toBe(true);
    expect(found('no-folder-cycle').length).toBeGreaterThan(0);
  });

  it('should refuse common/ importing a feature', () => {
    expect(found('common-imports-no-feature')).toEqual([
      expect.objectContaining({ from: 'src/common/http/uses-a-feature.ts', to: 'src/users/users.service.ts' }),
    ]);
  });

  it("should refuse a feature importing another feature's repository", () => {
    expect(found('no-feature-internals')).toEqual([
      expect.objectContaining({ from: 'src/admin/admin.service.ts', to: 'src/users/users.repository.ts' }),
    ]);
  });

  it('should refuse TypeORM outside src/database and the entities, and SQL outside repositories', () => {
    expect(found('typeorm-only-in-database')).toEqual([
      expect.objectContaining({ from: 'src/users/users.controller.ts', to: 'typeorm' }),
    ]);
    expect(found('sql-only-in-repositories')).toEqual([
      expect.objectContaining({ from: 'src/users/users.controller.ts', to: 'src/users/users.sql.ts' }),
    ]);
  });

  it('should refuse database/ importing a feature, and anything importing the composition root', () => {
    expect(found('database-imports-no-feature')).toHaveLength(1);
    expect(found('no-composition-root')).toEqual([
      expect.objectContaining({ from: 'src/openid/openid.service.ts', to: 'src/app.module.ts' }),
    ]);
  });

  it('should refuse OpenTelemetry outside src/common/tracing, and a static import of tracing', () => {
    expect(found('opentelemetry-only-in-tracing')).toEqual([
      expect.objectContaining({ from: 'src/common/logging/request-logger.ts', to: '@opentelemetry/api' }),
    ]);
    expect(found('tracing-loaded-lazily-by-main')).toEqual([
      expect.objectContaining({ from: 'src/main.ts', to: 'src/common/tracing/tracing.ts' }),
    ]);
  });

  it("should refuse a feature's settings importing anything but src/config's helpers and other settings", () => {
    expect(found('settings-are-leaves').map((violation) => violation.from)).toEqual(['src/gvp/gvp.settings.ts']);
  });

  it("should refuse src/common and src/config reading a feature's settings, but for loadConfig", () => {
    expect(found('settings-collected-by-app-config').map((violation) => violation.from)).toEqual([
      'src/common/http/reads-settings.ts',
    ]);
  });

  it("should refuse the boundary's machinery outside the composition root, and declarations importing a feature", () => {
    expect(found('auth-machinery-only-in-composition-root')).toEqual([
      expect.objectContaining({
        from: 'src/health/health.controller.ts',
        to: 'src/auth/passport/auth.module.ts',
      }),
    ]);
    expect(found('auth-declarations-are-leaves')).toEqual([
      expect.objectContaining({ from: 'src/auth/tier.ts', to: 'src/users/users.service.ts' }),
    ]);
  });
});

describe('dependency layers', () => {
  it('should name every folder of src/ as a feature or as shared code', () => {
    const { FEATURES, SHARED } = createRequire(__filename)(resolve('.dependency-cruiser.layers.cjs')) as {
      FEATURES: string;
      SHARED: string[];
    };
    const listed = [...FEATURES.slice(1, -1).split('|'), ...SHARED];
    const folders = readdirSync('src', { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => !listed.includes(folder))).toEqual([]);
    expect(listed.filter((folder) => !folders.includes(folder))).toEqual([]);
  });
});
