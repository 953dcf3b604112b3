'use strict';
// `nest g feature <name>`: a user-owned CRUD resource in keel's feature shape (DESIGN.md "Layout"),
// registered in src/features/index.ts. Every check runs before anything is written: a refused name
// leaves the project untouched.
const { join, posix } = require('node:path');
const {
  SchematicsException,
  apply,
  applyTemplates,
  chain,
  filter,
  mergeWith,
  move,
  url,
} = require('@angular-devkit/schematics');
const { hasFiles, importedIdentifiers, takenRoutes, takenStorage } = require('./clashes.cjs');
const { formatFiles } = require('./format.cjs');
const { checkName, declaredIdentifiers, namesOf } = require('./names.cjs');
const { registerFeature } = require('./register.cjs');

const refuse = (message) => new SchematicsException(message);

/** Throws a SchematicsException naming the first reason the feature cannot be generated. */
function check(tree, n, dirs) {
  if (hasFiles(tree, dirs.feature)) {
    throw refuse(`A feature '${n.name}' already exists at ${dirs.feature}: choose another name.`);
  }
  if (dirs.test && hasFiles(tree, dirs.test)) {
    throw refuse(`${dirs.test} already exists (another suite's folder): choose another feature name.`);
  }
  const imported = importedIdentifiers(join(__dirname, 'files'));
  const clash = declaredIdentifiers(n).find((id) => imported.has(id));
  if (clash) {
    throw refuse(
      `Invalid feature name '${n.name}': its generated ${clash} would clash with the ${clash} that ` +
        'the generated code imports or uses. Choose another name.',
    );
  }
  const route = takenRoutes(tree, dirs.features).get(n.name);
  if (route) throw refuse(`The route /v1/${n.name} is already mounted by ${route}: choose another name.`);
  const { collections, models } = takenStorage(tree, dirs.src);
  if (collections.has(n.collection)) {
    throw refuse(
      `The MongoDB collection '${n.collection}' is already used by ${collections.get(n.collection)}: choose another name.`,
    );
  }
  if (models.has(n.Entity)) {
    throw refuse(`The model name '${n.Entity}' is already used by ${models.get(n.Entity)}: choose another name.`);
  }
  if (!tree.exists(dirs.registry) && !dirs.skipImport) {
    throw refuse(`${dirs.registry} (the FEATURES registry) is missing: run nest g feature from the project root.`);
  }
}

function feature(options) {
  return (tree) => {
    checkName(options.name, refuse);
    const n = namesOf(options.name);
    const src = posix.normalize(options.sourceRoot || 'src');
    const withTests = options.spec !== false;
    const dirs = {
      src,
      features: `${src}/features`,
      feature: `${src}/features/${n.name}`,
      test: withTests ? `test/${n.name}` : undefined,
      registry: `${src}/features/index.ts`,
      skipImport: options.skipImport === true,
    };
    check(tree, n, dirs);
    // Validate the registry edit before any file is created.
    const registry = dirs.skipImport
      ? undefined
      : registerFeature(tree.read(dirs.registry).toString('utf8'), n, refuse);

    const created = [];
    const source = (folder, to) =>
      mergeWith(
        apply(url(`./files/${folder}`), [
          filter((path) => withTests || !path.endsWith('.spec.ts.template')),
          applyTemplates(n),
          move(to),
          (generated) => {
            generated.visit((path) => created.push(path.replace(/^\//, '')));
            return generated;
          },
        ]),
      );

    return chain([
      source('feature', dirs.features),
      ...(withTests ? [source('test', 'test')] : []),
      (t) => {
        if (registry !== undefined) t.overwrite(dirs.registry, registry);
        return t;
      },
      (t, context) => formatFiles(created)(t, context),
    ]);
  };
}

module.exports = { feature };
