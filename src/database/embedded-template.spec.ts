import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedFromTemplate } from 'src/database/embedded-template';

describe('seedFromTemplate', () => {
  let root: string;
  let template: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'aura-template-'));
    template = join(root, 'template');
    mkdirSync(join(template, 'base'), { recursive: true });
    writeFileSync(join(template, 'PG_VERSION'), '17\n');
    writeFileSync(join(template, 'base', 'data'), 'pristine');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('should copy the template into a folder that does not exist yet', () => {
    const dataDir = join(root, 'data', 'pglite');
    expect(seedFromTemplate(dataDir, template)).toBe(true);
    expect(readFileSync(join(dataDir, 'base', 'data'), 'utf8')).toBe('pristine');
  });

  it('should copy the template into an empty folder', () => {
    const dataDir = join(root, 'empty');
    mkdirSync(dataDir);
    expect(seedFromTemplate(dataDir, template)).toBe(true);
    expect(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8')).toBe('17\n');
  });

  it('should leave a folder holding a database alone', () => {
    const dataDir = join(root, 'existing');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    expect(seedFromTemplate(dataDir, template)).toBe(false);
    expect(() => readFileSync(join(dataDir, 'base', 'data'))).toThrow();
  });

  it('should do nothing without a complete template', () => {
    rmSync(join(template, 'PG_VERSION'));
    const dataDir = join(root, 'new');
    expect(seedFromTemplate(dataDir, template)).toBe(false);
    expect(() => readFileSync(join(dataDir, 'PG_VERSION'))).toThrow();
  });
});
