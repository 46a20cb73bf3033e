/**
 * The module map of ARCHITECTURE.md, checked (`npm run lint`, so CI): which folder of src/ may import which.
 * test/static/dependency-rules.spec.ts shows each rule failing on a deliberately bad import.
 */
const { AUTH_DECLARATIONS, FEATURES, INTERNALS, SETTINGS, SHARED } = require('./.dependency-cruiser.layers.cjs');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files that import each other, directly or through others.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'auth-machinery-only-in-composition-root',
      comment: "The boundary's strategies, guard and module are wired by app.module.ts, and used by nothing else.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/auth/passport/|^src/app\\.module\\.ts$' },
      to: { path: '^src/auth/passport/' },
    },
    {
      name: 'auth-declarations-are-leaves',
      comment: "The boundary's declarations import only shared code and each other, so no cycle can pass through them.",
      severity: 'error',
      from: { path: AUTH_DECLARATIONS },
      to: { path: '^src/', pathNot: `^src/(auth|${SHARED.join('|')})/` },
    },
    {
      name: 'common-imports-no-feature',
      comment:
        'src/common and src/config are shared by every feature, so they import none; src/config/app-config.ts ' +
        "collects every feature's settings class, and only those.",
      severity: 'error',
      from: { path: '^src/(common|config)/' },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: `${AUTH_DECLARATIONS}|${SETTINGS}`,
      },
    },
    {
      name: 'settings-collected-by-app-config',
      comment:
        "Only src/config/app-config.ts (loadConfig, SETTINGS) reads a feature's settings from src/common or src/config.",
      severity: 'error',
      from: { path: '^src/(common|config)/', pathNot: `^src/config/app-config\\.ts$|${SETTINGS}` },
      to: { path: `^src/${FEATURES}/.+${SETTINGS}` },
    },
    {
      name: 'settings-are-leaves',
      comment:
        "A feature's settings import only src/config's helpers and other settings, so collecting them in " +
        'src/config closes no cycle.',
      severity: 'error',
      from: { path: SETTINGS },
      to: {
        path: '^src/',
        pathNot: `${SETTINGS}|^src/config/(env|key-rings|secret-strength|settings|development-secrets|config-error)\\.ts$`,
      },
    },
    {
      name: 'database-imports-no-feature',
      comment:
        'Every feature runs its statements through src/database, so it imports none (entities are found by name).',
      severity: 'error',
      from: { path: '^src/database/' },
      to: { path: `^src/${FEATURES}/`, pathNot: AUTH_DECLARATIONS },
    },
    {
      name: 'typeorm-only-in-database',
      comment:
        'TypeORM is known to src/database (connection, Database, Tx), the entities (schema and migrations), the ' +
        "repositories (each built on its table's Repository<Entity>) and the CLI; a feature module registers its " +
        'entities with @nestjs/typeorm (next rule); services pass a Tx on.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(database|cli)/|\\.(entity|repository|module)\\.ts$' },
      to: { path: '^(node_modules/)?(typeorm|@nestjs/typeorm)(/|$)' },
    },
    {
      name: 'modules-only-register-entities',
      comment: 'A feature module imports @nestjs/typeorm to register its entities (forFeature), never typeorm itself.',
      severity: 'error',
      from: { path: '\\.module\\.ts$', pathNot: '^src/(database|cli)/' },
      to: { path: '^(node_modules/)?typeorm(/|$)' },
    },
    {
      name: 'sql-only-in-repositories',
      comment: "A feature's statements (<feature>.sql.ts) are run by its repository, and by nothing else.",
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.(repository|sql)\\.ts$' },
      to: { path: '\\.sql\\.ts$' },
    },
    {
      name: 'no-feature-internals',
      comment:
        'A feature uses another through its module, service, entity, errors, DTOs and pure helpers, never its internals.',
      severity: 'error',
      from: { path: `^src/${FEATURES}/` },
      to: { path: `^src/${FEATURES}/.+${INTERNALS}`, pathNot: '^src/$1/' },
    },
    {
      name: 'opentelemetry-only-in-tracing',
      comment:
        'OpenTelemetry is loaded only when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT): only src/common/tracing ' +
        'imports it, and the access log learns trace ids through src/common/logging/trace-id.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/common/tracing/' },
      to: { path: '^(node_modules/)?(@opentelemetry/|@fastify/otel(/|$))' },
    },
    {
      name: 'tracing-loaded-lazily-by-main',
      comment:
        'Tracing must patch http, fastify and pg before they load, and load nothing when off: main.ts imports it ' +
        'dynamically, after checking the variable (types aside), and nothing else imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/common/tracing/' },
      to: { path: '^src/common/tracing/', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'no-composition-root',
      comment: 'Only the entry points (main.ts, cli/) assemble the application; nothing below imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|bootstrap|app\\.module|swagger)\\.ts$|^src/cli/' },
      to: { path: '^src/(main|bootstrap|app\\.module)\\.ts$|^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
