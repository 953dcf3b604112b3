import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, runChild, spawnApp, type ChildApp } from '../support/child-app.js';
import type { RunningApp } from '../support/in-process-app.js';
import { bootNotesApp, call } from './http-app.js';

function npmRunToken(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { status: res.status, token: res.stdout.trim(), stderr: res.stderr };
}

describe('npm run token', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await bootNotesApp('http_token_script');
  });
  afterAll(async () => app?.close());

  it('prints a token the zero-config server accepts, with --admin granting the admin role', async () => {
    const user = npmRunToken(['--sub', 'newcomer']);
    expect(user.status).toBe(0);
    const admin = npmRunToken(['--sub', 'ops', '--admin']);
    expect(
      (
        await call(`${app.url}/v1/notes`, {
          headers: { authorization: `Bearer ${user.token}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(`${app.url}/admin/notes/stats`, {
          headers: { authorization: `Bearer ${user.token}` },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(`${app.url}/admin/notes/stats`, {
          headers: { authorization: `Bearer ${admin.token}` },
        })
      ).status,
    ).toBe(200);
  });

  it('explains instead of signing when the server uses a JWKS or has no auth in production', () => {
    expect(npmRunToken(['--sub', 'x'], { AUTH_FIREBASE_PROJECT_ID: 'my-project' })).toMatchObject({
      status: 1,
      token: '',
    });
    expect(npmRunToken(['--sub', 'x'], { NODE_ENV: 'production' }).stderr).toMatch(/AUTH_JWT_SECRET/);
    expect(npmRunToken([]).stderr).toMatch(/--sub/);
  });
});

const built = existsSync(join(projectRoot, 'dist/main.js'));

describe.skipIf(!built)('the built server (dist/)', () => {
  let child: ChildApp | undefined;
  afterAll(async () => child?.stop());

  it('boots with zero configuration and answers the README curl with a script token', async () => {
    child = await spawnApp('http_zero_config');
    const token = npmRunToken(['--sub', 'readme', '--admin']).token;
    expect((await call(`${child.url}/admin/dead-letters`)).status).toBe(401);
    expect(
      (
        await call(`${child.url}/admin/dead-letters`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(200);
    const lines = child
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    expect(child.output()).toMatch(/DEVELOPMENT secret/);
  });

  it('refuses to start in production without auth, naming the variables', async () => {
    const proc = runChild({
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/keel could not start[\s\S]*AUTH_FIREBASE_PROJECT_ID[\s\S]*AUTH_JWT_SECRET/);
  });

  it('npm run openapi writes the document of every route', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'keel-openapi-')), 'openapi.json');
    const res = spawnSync(process.execPath, ['scripts/openapi.mjs', out], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.paths['/health/live']).toBeDefined();
    // feature routes keep their RouterModule prefix
    const featurePaths = Object.keys(doc.paths).filter((p) => p.startsWith('/v1/'));
    expect(featurePaths.length).toBeGreaterThan(0);
    expect(Object.keys(doc.paths).filter((p) => !/^\/(v1|admin|health)\//.test(p))).toEqual([]);
    expect(doc.components.schemas.ProblemDetails).toBeDefined();
    expect(doc.components.securitySchemes.bearer).toBeDefined();
  });
});
