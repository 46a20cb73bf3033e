/**
 * The folder-cycle rule of .dependency-cruiser.cjs, over the graph without the boundary's declarations
 * (src/auth/*.ts): every feature imports them and they import no feature, so they close no cycle, but a folder
 * graph would count them with the boundary's machinery (src/auth/passport), which does import features. The
 * settings classes (*.settings.ts) are left out for the same reason: src/config/app-config.ts collects them all,
 * and they import only src/config's helpers (settings-are-leaves).
 */
const base = require('./.dependency-cruiser.cjs');
const { AUTH_DECLARATIONS, NO_FOLDER_CYCLE, SETTINGS } = require('./.dependency-cruiser.layers.cjs');

module.exports = {
  forbidden: [NO_FOLDER_CYCLE],
  options: { ...base.options, exclude: { path: `\\.spec\\.ts$|${AUTH_DECLARATIONS}|${SETTINGS}` } },
};
