import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { projectRoot } from '../../support/child-app.js';

export interface RunResult {
  code: number | null;
  /** stdout and stderr, interleaved. */
  output: string;
  ms: number;
}

export interface ProjectCopy {
  dir: string;
  /** Runs a command in the copy (a clean environment: no vitest variables, no colours). */
  run(
    command: string,
    args: string[],
    options?: { timeoutMs?: number; env?: Record<string, string> },
  ): Promise<RunResult>;
  /** `nest <args>` with the copy's Nest CLI. */
  nest(...args: string[]): Promise<RunResult>;
  /** Every file under src/ and test/ with its size and content hash: equal snapshots mean nothing was written. */
  snapshot(): string;
  remove(): void;
}

/**
 * A throwaway copy of the committed project (HEAD, not the working tree other engineers are editing),
 * with the working tree's schematics/ (the collection under test) and node_modules symlinked.
 */
export function copyProject(): ProjectCopy {
  const dir = mkdtempSync(join(tmpdir(), 'keel-schematics-'));
  execFileSync('sh', ['-c', 'git archive --format=tar HEAD | tar -x -C "$1"', 'sh', dir], { cwd: projectRoot });
  rmSync(join(dir, 'schematics'), { recursive: true, force: true });
  cpSync(join(projectRoot, 'schematics'), join(dir, 'schematics'), {
    recursive: true,
  });
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');

  const env: Record<string, string> = { NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(VITEST|__VITEST|NODE_OPTIONS$|TEST$|FORCE_COLOR$)/.test(k)) env[k] = v;
  }

  const run: ProjectCopy['run'] = (command, args, options = {}) =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(command, args, {
        cwd: dir,
        env: { ...env, ...options.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const timer = setTimeout(() => {
        output += `\n[killed after ${options.timeoutMs} ms]`;
        try {
          process.kill(-child.pid!, 'SIGKILL'); // the child's own process group
        } catch {
          // already gone
        }
      }, options.timeoutMs ?? 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        // Colours off whatever the tool thinks of the terminal: assertions match plain text.
        resolve({
          code,
          output: stripVTControlCharacters(output),
          ms: Date.now() - started,
        });
      });
    });

  return {
    dir,
    run,
    nest: (...args) => run(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', ...args]),
    snapshot: () => snapshotOf(dir, ['src', 'test']),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function snapshotOf(root: string, dirs: string[]): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        lines.push(`${relative(root, p)}/`);
        walk(p);
      } else {
        lines.push(`${relative(root, p)} ${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
      }
    }
  };
  for (const d of dirs) walk(join(root, d));
  return lines.join('\n');
}
