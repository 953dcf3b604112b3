// Benchmarks run keel as built by `nest build` (dist/), never through tsx: esbuild drops the decorator
// metadata Nest's dependency injection needs. `ensureDist` rebuilds dist/ when it is missing or older
// than src/; `snapshot` copies it into a private directory (other processes on this machine may rebuild
// dist/ at any moment: `nest build` deletes it first) and transpiles the bench-only modules next to it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const distDir = join(projectRoot, 'dist');
const srcDir = join(projectRoot, 'src');

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

/** src/ files that compile to a .js in dist/ (no specs, no declarations). */
function sources(): string[] {
  return [...files(srcDir)].filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.endsWith('.spec.ts'));
}

/** The .js files of dist/ (or of a copy of it) that src/ says must exist and are missing. */
function missingOutputs(outDir: string): string[] {
  return sources()
    .map((p) => join(outDir, relative(srcDir, p).replace(/\.ts$/, '.js')))
    .filter((p) => !existsSync(p));
}

function isFresh(): boolean {
  const main = join(distDir, 'main.js');
  if (!existsSync(main)) return false;
  const built = statSync(main).mtimeMs;
  return sources().every((p) => statSync(p).mtimeMs <= built) && missingOutputs(distDir).length === 0;
}

let built = false;

/**
 * Builds dist/ with the Nest CLI unless it is complete and newer than every file of src/. Once per
 * process: `npm run bench` builds (at most) once for all benchmarks, even while src/ keeps changing.
 */
export function ensureDist(): void {
  if (built && missingOutputs(distDir).length === 0) return;
  built = true;
  if (isFresh()) return;
  console.log('dist/ is missing or older than src/: nest build');
  const started = Date.now();
  try {
    execFileSync(process.execPath, [join(projectRoot, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], {
      cwd: projectRoot,
      stdio: 'inherit',
    });
  } catch (err) {
    // Type errors still emit JavaScript; only a build that left dist/ incomplete is fatal.
    if (missingOutputs(distDir).length) throw err;
    console.warn('nest build reported errors, but dist/ is complete: going on');
  }
  console.log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

export interface Snapshot {
  /** Root of the copy: `src/` holds dist/'s JavaScript, `bench/` the transpiled bench modules. */
  dir: string;
  /** Absolute path of a file in the copy, e.g. path('src/main.js'). */
  path(rel: string): string;
  cleanup(): void;
}

const transpileOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.ES2022,
  target: ts.ScriptTarget.ES2023,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  isolatedModules: true,
  sourceMap: false,
};

/**
 * A private copy of dist/ under node_modules/.cache (so packages resolve from the project), placed at
 * `src/` so that bench modules importing `../../src/….js` load the built keel, plus the given bench
 * folders transpiled file by file with decorator metadata (what tsc emits under isolatedModules).
 */
export async function snapshot(
  benchDirs: string[],
  /** Another built checkout (its dist/ and bench/) to copy instead, e.g. the code before a change. */
  from?: string,
): Promise<Snapshot> {
  const root = from ?? projectRoot;
  const dist = from ? join(from, 'dist') : distDir;
  const dir = join(projectRoot, 'node_modules/.cache/keel-bench', randomBytes(4).toString('hex'));
  for (let attempt = 1; ; attempt++) {
    if (!from) ensureDist();
    rmSync(dir, { recursive: true, force: true });
    try {
      cpSync(dist, join(dir, 'src'), { recursive: true });
      const missing = from ? [] : missingOutputs(join(dir, 'src'));
      if (missing.length === 0) break;
      throw new Error(`dist/ copy lacks ${missing.length} files, e.g. ${missing[0]}`);
    } catch (err) {
      if (attempt >= 4) throw err;
      console.warn(`copying dist/ failed (${(err as Error).message}); another build may be running, retrying`);
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
  for (const bench of benchDirs) {
    for (const file of files(join(root, bench))) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: transpileOptions,
        fileName: file,
      });
      const target = join(dir, relative(root, file).replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  // Under node_modules/ Node stops looking for the project's package.json: say ESM here.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  return {
    dir,
    path: (rel) => join(dir, rel),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
