'use strict';
// Formats generated files with the project's Prettier and .prettierrc, so they match `npm run format`
// whatever the length of the feature's name. Skipped (with a warning) when Prettier is not installed.
const { join } = require('node:path');

function formatFiles(paths) {
  return async (tree, context) => {
    let prettier;
    try {
      prettier = await import('prettier');
    } catch {
      context.logger.warn('Prettier is not installed: the generated files are left unformatted.');
      return;
    }
    for (const path of paths) {
      if (!tree.exists(path)) continue;
      const filepath = join(process.cwd(), path);
      const config = (await prettier.resolveConfig(filepath)) ?? {};
      const source = tree.read(path).toString('utf8');
      tree.overwrite(path, await prettier.format(source, { ...config, filepath }));
    }
  };
}

module.exports = { formatFiles };
