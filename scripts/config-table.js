#!/usr/bin/env node
// Prints the README's configuration table from src/config/app-config.ts (doc comment, name, default),
// or with --write replaces it in README.md between the config-table markers. A unit test checks that
// the README's table is what this prints, so the two cannot drift apart.
const { readFileSync, writeFileSync } = require('node:fs');

const START = '<!-- config-table:start (npm run docs:config) -->';
const END = '<!-- config-table:end -->';

function configTable(source) {
  const lines = source.slice(source.indexOf('export class AppConfig')).split('\n');
  const rows = [];
  let comment;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.startsWith('/**')) {
      const parts = [];
      for (; !lines[i].includes('*/'); i++) {
        parts.push(lines[i]);
      }
      parts.push(lines[i]);
      comment = parts
        .join(' ')
        .replace(/\/\*\*|\*\/|\s\*\s/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      continue;
    }
    const property = /^([A-Z][A-Z0-9_]+)\??(?::[^=;]+)?(?:\s*=\s*(.+))?;$/.exec(line);
    if (property !== null && comment !== undefined) {
      const secret = comment.startsWith('(secret)');
      const description = comment.replace(/^\(secret\)\s*/, '').replace(/\|/g, '\\|');
      rows.push(`| \`${property[1]}\` | ${defaultOf(property[2])} | ${secret ? '**secret** ' : ''}${description} |`);
      comment = undefined;
    }
  }
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function defaultOf(initial) {
  const value = initial?.trim();
  if (value === undefined || value === 'undefined') {
    return '—';
  }
  if (value.startsWith('DEVELOPMENT_SECRETS.')) {
    return 'development value (refused in production)';
  }
  const unquoted = value.replace(/^'(.*)'$/, '$1').replace(/^NodeEnv\.(\w+)$/, (_, v) => v.toLowerCase());
  const number = /^[\d_* ]+$/.test(unquoted) ? String(eval(unquoted.replace(/_/g, ''))) : unquoted;
  return number === '' ? '(empty)' : `\`${number}\``;
}

const table = configTable(readFileSync('src/config/app-config.ts', 'utf8'));
if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1) {
    throw new Error('README.md has no config-table markers');
  }
  writeFileSync('README.md', readme.slice(0, start + START.length) + '\n' + table + '\n' + readme.slice(end));
} else {
  console.log(table);
}
