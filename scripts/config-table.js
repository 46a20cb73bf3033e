#!/usr/bin/env node
// Prints the README's configuration table from the settings classes listed in SETTINGS of
// src/config/app-config.ts, in that order (each class's doc comments, names, defaults), or with --write
// replaces it in README.md between the config-table markers. A unit test checks that the README's table
// is what this prints, so the two cannot drift apart.
const { readFileSync, writeFileSync } = require('node:fs');

const START = '<!-- config-table:start (npm run docs:config) -->';
const END = '<!-- config-table:end -->';

const COLLECTOR = 'src/config/app-config.ts';

/** The source files of the settings classes, in the order of SETTINGS. */
function settingsSources() {
  const collector = readFileSync(COLLECTOR, 'utf8');
  const list = /export const SETTINGS = \[([^\]]*)\]/.exec(collector);
  if (list === null) {
    throw new Error(`${COLLECTOR} has no SETTINGS list`);
  }
  return list[1]
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
    .map((name) => {
      const from = new RegExp(`import \\{ ${name} \\} from '(src/[^']+)';`).exec(collector);
      if (from === null) {
        throw new Error(`${COLLECTOR} does not import ${name} from its own file`);
      }
      return { name, source: readFileSync(`${from[1]}.ts`, 'utf8') };
    });
}

function configTable(classes) {
  return ['| variable | default | meaning |', '|---|---|---|', ...classes.flatMap(classRows)].join('\n');
}

/** The rows of one settings class: each documented UPPER_CASE property of `export class <name>`. */
function classRows({ name, source }) {
  const start = source.indexOf(`export class ${name} `);
  if (start === -1) {
    throw new Error(`no export class ${name}`);
  }
  const lines = source.slice(start, source.indexOf('\n}\n', start)).split('\n');
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
  return rows;
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

const table = configTable(settingsSources());
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
