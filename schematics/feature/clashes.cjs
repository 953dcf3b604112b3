'use strict';
// What a new feature must not collide with: an existing feature or test folder, another feature's routes,
// MongoDB collections and model names, and the identifiers the generated files import.
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

// Globals the generated code uses or that a class must not shadow.
const GLOBALS = `
  Array ArrayBuffer Awaited BigInt Boolean Buffer Date Error Function Intl JSON Map Math Number Object
  Omit Parameters Partial Pick Promise Proxy Readonly Record Reflect RegExp Required ReturnType Set
  String Symbol URL WeakMap WeakSet
`
  .split(/\s+/)
  .filter(Boolean);

/** True when `dir` exists in the tree with at least one file in it (or below). */
function hasFiles(tree, dir) {
  const d = tree.getDir(dir);
  return d.subfiles.length > 0 || d.subdirs.length > 0;
}

/** Every `.ts` file under `dir`: [path, text]. */
function tsFiles(tree, dir) {
  const out = [];
  tree.getDir(dir).visit((path) => {
    if (path.endsWith('.ts')) out.push([path.replace(/^\//, ''), tree.read(path).toString('utf8')]);
  });
  return out;
}

/** First route segment under /v1 → the file that mounts it, for every existing feature. */
function takenRoutes(tree, featuresDir) {
  const taken = new Map();
  for (const [path, text] of tsFiles(tree, featuresDir)) {
    const segments = [];
    if (path.endsWith('.module.ts')) {
      for (const m of text.matchAll(/path:\s*'\/?v1\/([a-z0-9-]+)/g)) segments.push(m[1]);
    }
    if (path.endsWith('.controller.ts')) {
      for (const m of text.matchAll(/@Controller\(\s*'\/?(?:v1\/)?([a-z0-9-]+)/g)) segments.push(m[1]);
    }
    for (const s of segments) if (!taken.has(s)) taken.set(s, path);
  }
  return taken;
}

/** MongoDB collection names (`@Schema({ collection: '…' })`) and model names (`…_MODEL = '…'`) in use. */
function takenStorage(tree, srcDir) {
  const collections = new Map();
  const models = new Map();
  for (const [path, text] of tsFiles(tree, srcDir)) {
    for (const m of text.matchAll(/collection:\s*'([^']+)'/g)) collections.set(m[1], path);
    for (const m of text.matchAll(/_MODEL\s*=\s*'([^']+)'/g)) models.set(m[1], path);
  }
  return { collections, models };
}

/** Identifiers the templates import (`import { A, type B } from '…'`), which generated names must not equal. */
function importedIdentifiers(templatesDir) {
  const names = new Set(GLOBALS);
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from/g)) {
          for (const part of m[1].split(',')) {
            const id = part.replace(/^\s*type\s+/, '').split(/\s+as\s+/).pop().trim();
            if (/^[A-Za-z_$][\w$]*$/.test(id)) names.add(id);
          }
        }
      }
    }
  };
  walk(templatesDir);
  return names;
}

module.exports = { hasFiles, takenRoutes, takenStorage, importedIdentifiers };
