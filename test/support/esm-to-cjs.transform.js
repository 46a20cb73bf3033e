// Jest transform for the ES-module-only packages (Nest 12 and a few of its dependencies):
// Node 20 loads them natively from CommonJS (require(esm)), Jest's loader does not, so they are
// compiled to CommonJS here. `import.meta` has no CommonJS form in TypeScript's output, so its members
// are rewritten to their CommonJS equivalents first; `createRequire(import.meta.url)` is simply `require`.
const { createHash } = require('node:crypto');
const ts = require('typescript');

const COMPILER_OPTIONS = {
  allowJs: true,
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2023,
  esModuleInterop: true,
  sourceMap: false,
};

module.exports = {
  process(sourceText, sourcePath, options) {
    // Loaded as an ES module (a dynamic `import()`, e.g. @fastify/cookie's of `cookie`): Jest runs it as one.
    if (options?.supportsStaticESM) {
      return { code: sourceText };
    }
    const source = sourceText
      // CommonJS already has `require`: drop the ES-module way of making one.
      .replace(/^\s*const require = createRequire\(import\.meta\.url\);?\s*$/gm, '')
      .replace(/\bimport\.meta\.url\b/g, "require('node:url').pathToFileURL(__filename).href")
      .replace(/\bimport\.meta\.resolve\(/g, 'require.resolve(')
      .replace(/\bimport\.meta\.dirname\b/g, '__dirname')
      .replace(/\bimport\.meta\.filename\b/g, '__filename');
    const { outputText } = ts.transpileModule(source, { compilerOptions: COMPILER_OPTIONS, fileName: sourcePath });
    return { code: outputText };
  },
  getCacheKey(sourceText, sourcePath, options) {
    return createHash('sha256')
      .update('esm-to-cjs-v4')
      .update(options?.supportsStaticESM ? 'esm' : 'cjs')
      .update(sourcePath)
      .update(sourceText)
      .digest('hex');
  },
};
