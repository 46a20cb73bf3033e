/** The parsed options of one CLI command line, as node:util parseArgs returns them. */
export type CommandOptions = Record<string, string | boolean | undefined>;
