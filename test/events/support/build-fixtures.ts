import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../support/child-app.js';

const FIXTURES = ['test/events/fixtures', 'test/scheduling/fixtures'];

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts') && !/\.(e2e-)?spec\.ts$/.test(p)) yield p;
  }
}

/**
 * Compiles src/ plus the test fixtures (subscribers, crons, a child entrypoint) to JS for child processes,
 * file by file with TypeScript's own transpiler: the project compiles under `isolatedModules`, so this
 * emits what tsc emits, decorator metadata included (tsx/esbuild would drop the metadata Nest DI needs).
 * Each caller gets its own directory (suites run in parallel); remove it with the returned `cleanup`.
 */
export function buildFixtures(): { entry: string; cleanup(): void } {
  const { dir, cleanup } = transpileProject(FIXTURES);
  return { entry: join(dir, 'test/events/fixtures/main.js'), cleanup };
}

/** Transpiles src/ plus `extra` folders (relative to the project root) into a fresh directory. */
export function transpileProject(extra: string[]): {
  dir: string;
  cleanup(): void;
} {
  const out = join(projectRoot, 'node_modules', '.cache', 'keel-fixtures', randomBytes(4).toString('hex'));
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ES2022,
    target: ts.ScriptTarget.ES2023,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    isolatedModules: true,
    sourceMap: false,
  };
  for (const dir of ['src', ...extra]) {
    for (const file of tsFiles(join(projectRoot, dir))) {
      const rel = relative(projectRoot, file);
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: options,
        fileName: file,
      });
      const target = join(out, rel.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  // Under node_modules/ Node stops looking for the project's package.json: say ESM here.
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  return {
    dir: out,
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}
