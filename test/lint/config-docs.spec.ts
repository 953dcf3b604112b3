import { readFileSync } from 'node:fs';
import { knownVariables } from '../../src/config/load-config.js';
import { projectRoot } from '../support/child-app.js';

const read = (file: string) => readFileSync(`${projectRoot}/${file}`, 'utf8');

describe('configuration docs', () => {
  const variables = knownVariables();

  it('covers a plausible set of variables', () => {
    expect(variables).toEqual(expect.arrayContaining(['PORT', 'APP_ROLE', 'MONGO_URL', 'REDIS_URL']));
  });

  it('documents every variable in .env.example', () => {
    const env = read('.env.example');
    expect(variables.filter((v) => !new RegExp(`^${v}=`, 'm').test(env))).toEqual([]);
  });

  it("documents every variable in README's configuration", () => {
    const readme = read('README.md');
    expect(variables.filter((v) => !readme.includes(`\`${v}\``))).toEqual([]);
  });
});
