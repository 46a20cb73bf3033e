import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type LaunchOptions } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** A persistent context: its profile directory, Chromium flags beyond the common ones, and the context's options. */
export type PersistentChromiumOptions = { userDataDir: string; args?: string[] } & Omit<
  NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>,
  'args' | 'executablePath' | 'headless'
>;

/**
 * The system Chromium with the flags every browser test uses, driven by playwright-core (which brings no browser
 * of its own): a fresh browser, or with `userDataDir` a persistent context in that profile directory. A missing
 * Chromium fails the test, never skips it: CI installs it (.ci/run), a developer runs `apt-get install -y chromium`.
 */
export function launchChromium(): Promise<Browser>;
export function launchChromium(options: PersistentChromiumOptions): Promise<BrowserContext>;
export function launchChromium(options?: PersistentChromiumOptions): Promise<Browser | BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\``);
  }
  const launch: LaunchOptions = { executablePath: CHROMIUM, args: CHROMIUM_ARGS };
  if (options === undefined) {
    return chromium.launch(launch);
  }
  const { userDataDir, args = [], ...context } = options;
  return chromium.launchPersistentContext(userDataDir, {
    ...context,
    ...launch,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
  });
}
