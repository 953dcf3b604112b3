import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'keel-bounds-'));
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), body);
  }
  return root;
}

const check = (root: string) =>
  spawnSync(process.execPath, ['scripts/check-boundaries.mjs', root], { encoding: 'utf8' });

describe('dependency rules (scripts/check-boundaries.mjs)', () => {
  it('accepts imports through events files, repositories and provider folders', () => {
    const r = check(
      tree({
        'features/a/a.handlers.ts': "import type { Paid } from '../b/b.events.js';",
        'features/b/b.repository.ts': "import { S } from './schemas/s.schema.js';",
        'features/b/b.module.ts': "import { S } from './schemas/s.schema.js';",
        'features/b/stripe/stripe.client.ts': "import Stripe from 'stripe';",
        'features/index.ts': "import { AModule } from './a/a.module.js';\nimport { BModule } from './b/b.module.js';",
        'platform/x.ts': "import { RequestContext } from './context/index.js';",
      }),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('names every broken rule and fails', () => {
    const r = check(
      tree({
        'features/a/a.service.ts': "import { B } from '../b/b.service.js';\nimport Stripe from 'stripe';",
        'features/b/b.service.ts': "import { S } from './schemas/s.schema.js';",
        'platform/p.ts': "import { A } from '../features/a/a.module.js';",
      }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Dependency rules broken (4)');
    expect(r.stderr).toContain("features/a/a.service.ts: imports '../b/b.service.js'");
    expect(r.stderr).toContain('the stripe SDK may only be imported');
    expect(r.stderr).toContain("only b's repository");
    expect(r.stderr).toContain('src/platform must not import a feature');
  });
});
