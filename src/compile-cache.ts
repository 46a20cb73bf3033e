import * as nodeModule from 'node:module';

/**
 * Node's on-disk cache of compiled code (Node ≥ 22.1; nothing on older runtimes): a repeated start reads the
 * bytecode of the modules it loads instead of compiling them again. Imported first by each entry point. The
 * cache lives under NODE_COMPILE_CACHE or the system's temporary folder (in the chart, an emptyDir that a
 * restarted container keeps); a cache that cannot be written costs nothing but the saving.
 */
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
