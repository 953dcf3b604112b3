// `npm run bench` runs every benchmark; `npm run bench -- <name>` runs one (a folder under bench/).
// Each benchmark's index.ts exports `run(): Promise<BenchResult>` and prints its own table; one that runs
// the built keel also exports `needsDist = true`, and dist/ is then built (if stale) once, up front, so
// that no benchmark's time includes the build. See docs/bench.md.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ensureDist } from './support/build.js';
import { appendResult, type BenchResult } from './support/results.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const all = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}

type Bench = { run(): Promise<BenchResult>; needsDist?: boolean };
const selected = wanted.length ? wanted : all;
const modules = new Map<string, Bench>();
for (const name of selected)
  modules.set(name, (await import(pathToFileURL(join(here, name, 'index.ts')).href)) as Bench);
if ([...modules.values()].some((m) => m.needsDist)) ensureDist();

let failed = false;
for (const name of selected) {
  console.log(`\n##### bench/${name}`);
  const started = Date.now();
  try {
    const result = await modules.get(name)!.run();
    appendResult(name, result);
    console.log(`bench/${name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (err) {
    failed = true;
    console.error(`bench/${name} failed:`, err);
  }
}
process.exit(failed ? 1 : 0);
