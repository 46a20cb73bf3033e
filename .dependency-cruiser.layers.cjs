/**
 * The layers of src/ (ARCHITECTURE.md "Dependency rules"), shared by the dependency-cruiser configurations and by
 * test/static/dependency-rules.spec.ts, which fails when a folder of src/ is in neither list.
 */
const FEATURES =
  '(admin|api-keys|audit|auth|callbacks|client-settings|directline|gvp|health|invalidation|kernel|openid|rate-limit|sessions|token|users)';
/** Folders of src/ that are not features: shared code and the entry points. */
const SHARED = ['cli', 'common', 'config', 'database'];
/** A feature's internals: its data access, its HTTP surface, its metrics, its background jobs, its guards. */
const INTERNALS = '\\.(repository|sql|controller|metrics|sweeper|guard|strategy)\\.ts$';
/**
 * The boundary has two layers. src/auth/*.ts are its declarations (tiers, the route decorators, the caller, the
 * one credential reader, its errors, the object-level channel check): every feature may use them, and they use
 * no feature. src/auth/passport/ is its machinery (strategies, guard, module), above the verifiers it calls,
 * wired by the composition root alone.
 */
const AUTH_DECLARATIONS = '^src/auth/[^/]+\\.ts$';
/**
 * Each feature's settings (src/<feature>/<feature>.settings.ts, src/config/server.settings.ts): classes of
 * environment variables that import only src/config's helpers and each other (settings-are-leaves), collected by
 * src/config/app-config.ts alone. Leaves, so left out of the folder graph like the boundary's declarations.
 */
const SETTINGS = '\\.settings\\.ts$';

/** Checked over a graph without the auth declarations (leaves, auth-declarations-are-leaves): .dependency-cruiser.folders.cjs. */
const NO_FOLDER_CYCLE = {
  name: 'no-folder-cycle',
  comment:
    'Top-level folders of src/ that depend on each other (a feature and the boundary, say). Every feature uses ' +
    "the boundary's declarations, which import no feature (auth-declarations-are-leaves), so they are left out.",
  severity: 'error',
  scope: 'folder',
  from: { path: '^src/[^/]+$' },
  to: { path: '^src/[^/]+$', circular: true },
};

module.exports = { AUTH_DECLARATIONS, FEATURES, INTERNALS, SETTINGS, SHARED, NO_FOLDER_CYCLE };
