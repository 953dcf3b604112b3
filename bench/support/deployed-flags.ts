// The V8 flags the api is deployed with (deploy/k8s/api.yaml's `command`), so that bench/http measures
// memory and CPU the way production runs keel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './build.js';

export function deployedApiNodeFlags(): string[] {
  const manifest = readFileSync(join(projectRoot, 'deploy/k8s/api.yaml'), 'utf8');
  const command = /^\s*command:\s*\[(.*)\]\s*$/m.exec(manifest)?.[1];
  if (!command) throw new Error('deploy/k8s/api.yaml has no one-line `command: [...]`');
  return [...command.matchAll(/'(--[a-z-]+=[^']*)'/g)].map((m) => m[1]!);
}
