import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HostTree } from '@angular-devkit/schematics';
import { SchematicTestRunner } from '@angular-devkit/schematics/testing';
import { projectRoot } from '../support/child-app.js';

// The collection is plain CommonJS (no build step): load its helpers as the schematics CLI does.
const require = createRequire(import.meta.url);
const { checkName, namesOf } = require('../../schematics/feature/names.cjs');
const { registerFeature } = require('../../schematics/feature/register.cjs');

const REGISTRY = `import type { DynamicModule } from '@nestjs/common';
import type { AppRole } from '../config/index.js';
import { BillingModule } from './billing/billing.module.js';
import { ShopModule } from './shop/shop.module.js';

export const FEATURES: Array<(role: AppRole) => DynamicModule> = [
  (role) => BillingModule.forRole(role),
  (role) => ShopModule.forRole(role),
];
`;

/** A small project: two features whose routes, collections and models a new feature must avoid. */
function project(registry = REGISTRY): HostTree {
  const tree = new HostTree();
  tree.create('src/features/index.ts', registry);
  tree.create('src/features/shop/shop.module.ts', "RouterModule.register([{ path: 'v1/orders', module: ShopModule }])");
  tree.create(
    'src/features/billing/billing.module.ts',
    "RouterModule.register([{ path: 'v1', module: BillingModule }])",
  );
  tree.create('src/features/billing/billing.controller.ts', "@Controller('statements')\nexport class C {}");
  tree.create(
    'src/features/billing/schemas/ledger.schema.ts',
    "@Schema({ collection: 'invoices' })\nexport const LEDGER_MODEL = 'Receipt';",
  );
  tree.create('test/widgets/widgets.e2e-spec.ts', '');
  return tree;
}

/** Every file path in a tree, sorted. */
function filesOf(tree: HostTree): string[] {
  const out: string[] = [];
  tree.visit((path) => {
    out.push(path);
  });
  return out.sort();
}

const runner = new SchematicTestRunner('keel', join(projectRoot, 'schematics/collection.json'));
const generate = (options: Record<string, unknown>, tree = project()) => runner.runSchematic('feature', options, tree);

describe('nest g feature: names', () => {
  it.each([
    [
      'gift-cards',
      {
        Names: 'GiftCards',
        entity: 'gift-card',
        Entity: 'GiftCard',
        ENTITY: 'GIFT_CARD',
        collection: 'gift_cards',
      },
    ],
    ['categories', { entity: 'category', Entity: 'Category' }],
    ['boxes', { entity: 'box' }],
    ['addresses', { entity: 'address' }],
    ['status', { entity: 'status' }],
    ['inventory', { entity: 'inventory', Names: 'Inventory' }],
    ['loyalty-points2', { Names: 'LoyaltyPoints2', entity: 'loyalty-points2' }],
  ])('derives the names of %s', (name, expected) => {
    expect(namesOf(name)).toMatchObject(expected);
  });

  it.each([
    '',
    'Gift',
    'gift_cards',
    'gift--cards',
    '-gift',
    'gift-',
    '9lives',
    'gift cards',
    'a'.repeat(41),
    'class',
    'delete',
    'platform',
    'v1',
    'health',
    'features',
  ])('refuses %j', (name) => {
    expect(() => checkName(name, (m: string) => new Error(m))).toThrow(/feature name/);
  });
});

describe('nest g feature: the schematic on a project tree', () => {
  it('creates the feature and its tests, formatted, and registers it in alphabetical order', async () => {
    const tree = await generate({ name: 'gift-cards' });
    expect(tree.files.filter((f) => f.startsWith('/src/features/gift-cards/')).sort()).toEqual(
      [
        'dto/create-gift-card.dto.ts',
        'dto/gift-card.dto.ts',
        'dto/list-gift-cards.query.ts',
        'dto/update-gift-card.dto.ts',
        'gift-cards.controller.ts',
        'gift-cards.events.ts',
        'gift-cards.handlers.ts',
        'gift-cards.mappers.ts',
        'gift-cards.module.ts',
        'gift-cards.repository.ts',
        'gift-cards.service.spec.ts',
        'gift-cards.service.ts',
        'schemas/gift-card.schema.ts',
      ].map((f) => `/src/features/gift-cards/${f}`),
    );
    expect(tree.exists('test/gift-cards/gift-cards.e2e-spec.ts')).toBe(true);
    expect(tree.readContent('src/features/index.ts')).toBe(
      REGISTRY.replace(
        'import { ShopModule }',
        "import { GiftCardsModule } from './gift-cards/gift-cards.module.js';\nimport { ShopModule }",
      ).replace('  (role) => ShopModule', '  (role) => GiftCardsModule.forRole(role),\n  (role) => ShopModule'),
    );
    const events = tree.readContent('src/features/gift-cards/gift-cards.events.ts');
    expect(events).toContain("created: 'gift-cards.gift-card.created',");
    expect(events).toContain("deleted: 'gift-cards.gift-card.deleted',");
    expect(tree.readContent('src/features/gift-cards/gift-cards.module.ts')).toContain("path: 'v1/gift-cards'");
    expect(tree.readContent('src/features/gift-cards/gift-cards.handlers.ts')).toContain(
      "@Subscriber('gift-cards.handlers'",
    );
    // Every template tag was filled in, and the files are formatted as `npm run format` would.
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(join(projectRoot, 'src/x.ts'))) ?? {};
    for (const file of tree.files.filter((f) => f.includes('gift-cards/'))) {
      const text = tree.readContent(file);
      expect(text, file).not.toMatch(/<%|__name__|__entity__/);
      expect(
        await prettier.check(text, {
          ...config,
          filepath: join(projectRoot, file),
        }),
        file,
      ).toBe(true);
    }
  });

  it('honours --skip-import and --no-spec', async () => {
    const tree = await generate({
      name: 'gift-cards',
      skipImport: true,
      spec: false,
    });
    expect(tree.readContent('src/features/index.ts')).toBe(REGISTRY);
    expect(tree.exists('src/features/gift-cards/gift-cards.module.ts')).toBe(true);
    expect(tree.exists('src/features/gift-cards/gift-cards.service.spec.ts')).toBe(false);
    expect(tree.files.some((f) => f.startsWith('/test/gift-cards/'))).toBe(false);
  });

  it.each([
    ['an existing feature', 'shop', "A feature 'shop' already exists at src/features/shop"],
    ['an existing test folder', 'widgets', 'test/widgets already exists'],
    [
      "another feature's route (module path)",
      'orders',
      'The route /v1/orders is already mounted by src/features/shop/shop.module.ts',
    ],
    ["another feature's route (controller path)", 'statements', 'The route /v1/statements is already mounted'],
    ["another feature's collection", 'invoices', "The MongoDB collection 'invoices' is already used"],
    ["another feature's model name", 'receipts', "The model name 'Receipt' is already used"],
    ['a class that would shadow a global', 'promises', 'its generated Promise would clash'],
    ['a reserved word', 'new', "Invalid feature name 'new': it is reserved"],
  ])('refuses %s (%s) and leaves the tree untouched', async (_what, name, message) => {
    const tree = project();
    const before = filesOf(tree);
    await expect(generate({ name }, tree)).rejects.toThrow(message);
    expect(filesOf(tree)).toEqual(before);
    expect(tree.read('src/features/index.ts')?.toString()).toBe(REGISTRY);
  });

  it('refuses a registry it cannot edit, naming the way out', async () => {
    const tree = project('export const FEATURES = [];\n');
    await expect(generate({ name: 'gift-cards' }, tree)).rejects.toThrow(/Cannot register the feature.*--skip-import/);
    expect(tree.exists('src/features/gift-cards/gift-cards.module.ts')).toBe(false);
  });

  it('inserts into the registry after the last relative import when the features sort first or last', () => {
    const refuse = (m: string) => new Error(m);
    const last = registerFeature(REGISTRY, { name: 'zoo', Names: 'Zoo' }, refuse);
    expect(last).toContain(
      "import { ShopModule } from './shop/shop.module.js';\nimport { ZooModule } from './zoo/zoo.module.js';\n",
    );
    expect(last).toContain('  (role) => ShopModule.forRole(role),\n  (role) => ZooModule.forRole(role),\n];');
    const first = registerFeature(REGISTRY, { name: 'accounts', Names: 'Accounts' }, refuse);
    expect(first).toContain(
      "from '../config/index.js';\nimport { AccountsModule } from './accounts/accounts.module.js';\n",
    );
    expect(first).toContain('= [\n  (role) => AccountsModule.forRole(role),\n');
  });
});
