'use strict';
// Registers a feature module in src/features/index.ts: its import and `(role) => XModule.forRole(role)`
// in FEATURES, each in alphabetical order among the existing ones.

const FEATURES_START = /^export const FEATURES\b.*=\s*\[\s*$/m;
const FEATURES_END = /^\];?\s*$/m;
const ENTRY = /^\s*\(role\) => (\w+)\.forRole\(role\),\s*$/;
const IMPORT = /^import .* from '(\.\/[^']+)';\s*$/;
const ANY_IMPORT = /^import\s/;

/** Where FEATURES and its imports are in `text`, or a reason they cannot be found. */
function locate(text) {
  const start = FEATURES_START.exec(text);
  if (!start) return { problem: 'no `export const FEATURES ... = [` line' };
  const bodyStart = text.indexOf('\n', start.index) + 1;
  const end = FEATURES_END.exec(text.slice(bodyStart));
  if (bodyStart === 0 || !end) return { problem: 'no `];` closing FEATURES' };
  return { bodyStart, bodyEnd: bodyStart + end.index };
}

/** The new text of the registry with the feature added. Throws `refuse(message)` if it has another shape. */
function registerFeature(text, { name, Names }, refuse) {
  const where = locate(text);
  if (where.problem) {
    throw refuse(
      `Cannot register the feature: src/features/index.ts has ${where.problem}. ` +
        'Restore its FEATURES array, or generate with --skip-import and register the module by hand.',
    );
  }
  const moduleName = `${Names}Module`;
  const importPath = `./${name}/${name}.module.js`;
  const before = text.slice(0, where.bodyStart).split('\n');
  const body = text.slice(where.bodyStart, where.bodyEnd).split('\n');
  const after = text.slice(where.bodyEnd);
  if (body[body.length - 1] === '') body.pop();

  // FEATURES entry: before the first entry whose module sorts after ours, else last.
  const entry = `  (role) => ${moduleName}.forRole(role),`;
  const entryAt = body.findIndex((line) => ENTRY.test(line) && ENTRY.exec(line)[1] > moduleName);
  body.splice(entryAt < 0 ? body.length : entryAt, 0, entry);

  // import: among the relative imports, by path; else after the last import.
  const importLine = `import { ${moduleName} } from '${importPath}';`;
  const relative = before.map((l, i) => [l, i]).filter(([l]) => IMPORT.test(l));
  const next = relative.find(([l]) => IMPORT.exec(l)[1] > importPath);
  const lastImport = before.reduce((last, l, i) => (ANY_IMPORT.test(l) ? i : last), -1);
  const importAt = next ? next[1] : relative.length ? relative[relative.length - 1][1] + 1 : lastImport + 1;
  before.splice(importAt, 0, importLine);

  return `${before.join('\n')}${body.join('\n')}\n${after}`;
}

module.exports = { registerFeature };
