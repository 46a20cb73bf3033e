import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Table rows as trimmed cells, separator rows left out: Prettier's padding does not count. */
function rows(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

describe('README configuration table', () => {
  it('should document every variable of AppConfig exactly (run `npm run docs:config` after changing them)', () => {
    const generated = execFileSync(process.execPath, ['scripts/config-table.js'], { encoding: 'utf8' });
    const readme = readFileSync('README.md', 'utf8');
    const documented = readme.slice(
      readme.indexOf('<!-- config-table:start'),
      readme.indexOf('<!-- config-table:end -->'),
    );
    expect(rows(documented)).toEqual(rows(generated));
    expect(rows(generated).length).toBeGreaterThan(40);
  });
});
