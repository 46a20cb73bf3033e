/**
 * The folder-cycle rule of .dependency-cruiser.cjs, over the graph without the boundary's declarations
 * (src/auth/*.ts): every feature imports them and they import no feature, so they close no cycle, but a folder
 * graph would count them with the boundary's machinery (src/auth/passport), which does import features.
 */
const base = require('./.dependency-cruiser.cjs');
const { AUTH_DECLARATIONS, NO_FOLDER_CYCLE } = require('./.dependency-cruiser.layers.cjs');

module.exports = {
  forbidden: [NO_FOLDER_CYCLE],
  options: { ...base.options, exclude: { path: `\\.spec\\.ts$|${AUTH_DECLARATIONS}` } },
};
