#!/usr/bin/env node
// Enforces DESIGN.md's dependency rules (run by `npm run lint`):
// - a feature imports another feature only through its <feature>.events.ts;
// - src/platform imports no feature;
// - only a feature's repository (and its module, to register them) imports its schemas/;
// - a provider SDK is imported only inside its provider folder.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
const SDKS = { stripe: 'stripe', openai: 'openai', viem: 'viem', '@scure/bip32': 'bip32', 'discord.js': 'discord' };

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of files(root)) {
  const rel = relative(root, file).split(sep).join('/');
  const [top, feature] = rel.split('/');
  const isSpec = /\.(e2e-)?spec\.ts$/.test(file);
  for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    const say = (why) => problems.push(`${rel}: imports '${spec}': ${why}`);
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), spec)).split(sep).join('/');
      const [ttop, tfeature, ...rest] = target.split('/');
      if (top === 'platform' && ttop === 'features') say('src/platform must not import a feature');
      // features/index.ts is the FEATURES registry, not a feature: it imports every feature's module.
      const registry = rel === 'features/index.ts';
      if (top === 'features' && !registry && ttop === 'features' && tfeature !== feature && !/\.events(\.js)?$/.test(target)) {
        say(`a feature may import another feature only through ${tfeature}.events.ts`);
      }
      if (ttop === 'features' && rest[0] === 'schemas' && tfeature === feature && !isSpec) {
        const base = rel.split('/').pop();
        const allowed = rel.startsWith(`features/${feature}/schemas/`) || /\.(repository|module)\.ts$/.test(base);
        if (!allowed) say(`only ${feature}'s repository (and module) may import its schemas`);
      }
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const folder = SDKS[pkg];
      if (folder && !(top === 'features' && rel.split('/').slice(2, -1).includes(folder))) {
        say(`the ${pkg} SDK may only be imported inside a feature's ${folder}/ provider folder`);
      }
    }
  }
}
if (problems.length) {
  console.error(`Dependency rules broken (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  console.error('See "Dependency rules" in DESIGN.md: cross features through events, keep SDKs in provider folders.');
  process.exit(1);
}
console.log('dependency rules: ok');
