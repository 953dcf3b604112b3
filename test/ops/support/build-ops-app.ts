import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../support/child-app.js';

const SOURCES = ['src', 'test/ops/fixtures', 'test/events/fixtures', 'test/scheduling/fixtures'];

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts') && !/\.(e2e-)?spec\.ts$/.test(p)) yield p;
  }
}

/**
 * Compiles src/ and the ops fixtures file by file with TypeScript's transpiler (decorator metadata
 * included, as tsc emits it) into a private directory, so the child processes run the current sources
 * with test-only routes. Returns the entrypoint and a cleanup.
 */
export function buildOpsApp(): { entry: string; cleanup(): void } {
  const out = join(projectRoot, 'node_modules', '.cache', 'keel-ops', randomBytes(4).toString('hex'));
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ES2022,
    target: ts.ScriptTarget.ES2023,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    isolatedModules: true,
  };
  for (const dir of SOURCES) {
    for (const file of tsFiles(join(projectRoot, dir))) {
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: options,
        fileName: file,
      });
      const target = join(out, relative(projectRoot, file).replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  // Below node_modules/ Node no longer sees the project's package.json: declare ESM here.
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  return {
    entry: join(out, 'test/ops/fixtures/ops-main.js'),
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}
