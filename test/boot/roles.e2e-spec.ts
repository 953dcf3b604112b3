import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { routesFor, type AppRole } from '../../src/config/index.js';
import { bearer } from '../support/auth/dev-tokens.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';

@Controller('v1/probe')
class ProbeController {
  @Get()
  get() {
    return { ok: true };
  }
}

@Module({})
class ProbeFeature {
  static forRole(role: AppRole): DynamicModule {
    return { module: ProbeFeature, controllers: routesFor(role, [ProbeController]) };
  }
}

describe('process roles', () => {
  const apps: RunningApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  it.each([
    ['all', 200],
    ['api', 200],
    ['worker', 404],
  ] as const)('a feature route in the %s role answers %i; health always answers', async (role, expected) => {
    const app = await bootInProcess(`roles_${role}`, { APP_ROLE: role }, [(r) => ProbeFeature.forRole(r)]);
    apps.push(app);
    expect((await fetch(`${app.url}/v1/probe`, { headers: await bearer('alice') })).status).toBe(expected);
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
  });
});
