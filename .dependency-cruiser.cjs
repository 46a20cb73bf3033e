/**
 * The module map of ARCHITECTURE.md, checked (`npm run lint`, so CI): which folder of src/ may import which.
 * test/static/dependency-rules.spec.ts shows each rule failing on a deliberately bad import.
 */
const FEATURES =
  '(admin|api-keys|audit|callbacks|client-settings|directline|gvp|health|kernel|openid|rate-limit|users)';
/** A feature's internals: its data access, its HTTP surface, its metrics and its background jobs. */
const INTERNALS = '\\.(repository|sql|controller|metrics|sweeper|guard|strategies)\\.ts$';

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
      name: 'no-folder-cycle',
      comment: 'Top-level folders of src/ that depend on each other (a feature and the boundary, say).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/[^/]+$' },
      to: { path: '^src/[^/]+$', circular: true },
    },
    {
      name: 'common-imports-no-feature',
      comment: 'src/common and src/config are shared by every feature, so they import none.',
      severity: 'error',
      from: { path: '^src/(common|config)/' },
      to: { path: `^src/${FEATURES}/` },
    },
    {
      name: 'database-imports-no-feature',
      comment:
        'Every feature runs its statements through src/database, so it imports none (entities are found by name).',
      severity: 'error',
      from: { path: '^src/database/' },
      to: { path: `^src/${FEATURES}/` },
    },
    {
      name: 'typeorm-only-in-database',
      comment:
        'TypeORM is known to src/database (connection, Database, Tx), the entities (schema and migrations) and the ' +
        'CLI; repositories run typed statements through Database, services pass a Tx on.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(database|cli)/|\\.entity\\.ts$' },
      to: { path: '^(node_modules/)?(typeorm|@nestjs/typeorm)(/|$)' },
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
