import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { CronSignals } from '../../src/platform/scheduling/index.js';
import { devToken } from '../events/support/token.js';
import { waitFor } from '../events/support/wait.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { CronsFeature } from './fixtures/crons.feature.js';

describe('exclusive crons in one process, and their admin routes', () => {
  let app: RunningApp;
  let admin: Record<string, string>;

  beforeAll(async () => {
    app = await bootInProcess('cron_admin', { CRON_TAKEOVER_INTERVAL_MS: '500' }, [() => CronsFeature.forRoot()]);
    admin = { authorization: `Bearer ${await devToken('ops-1', ['admin'])}` };
  });
  afterAll(() => app?.close());

  it('records runs in the ledger and lists them to admins', async () => {
    const db = app.app.get<Connection>(getConnectionToken());
    await waitFor(
      async () =>
        (await db.collection('cron_runs').countDocuments({
          name: 'test.every-second',
          status: 'completed',
        })) >= 2,
      { what: 'two runs' },
    );
    const list = await fetch(`${app.url}/admin/crons`, { headers: admin });
    expect(list.status).toBe(200);
    const crons = (await list.json()) as Array<{
      name: string;
      expression: string;
      leaseMs: number;
      counters: Record<string, number>;
    }>;
    expect(crons.find((c) => c.name === 'test.every-second')).toMatchObject({
      expression: '* * * * * *',
      leaseMs: 5000,
    });
    expect(crons.find((c) => c.name === 'test.every-second')!.counters.completed).toBeGreaterThanOrEqual(2);

    const runs = await fetch(`${app.url}/admin/crons/test.every-second/runs?limit=2`, { headers: admin });
    const body = (await runs.json()) as Array<{
      id: string;
      fireAt: string;
      status: string;
      attempts: number;
    }>;
    expect(body).toHaveLength(2);
    expect(new Date(body[0]!.fireAt).getTime()).toBeGreaterThan(new Date(body[1]!.fireAt).getTime());
    expect(body[0]!.id).toBe(`test.every-second@${body[0]!.fireAt}`);
    expect(body[1]).toMatchObject({ status: 'completed', attempts: 1 });
    expect((await fetch(`${app.url}/admin/crons/nope/runs`, { headers: admin })).status).toBe(404);
    expect((await fetch(`${app.url}/admin/crons`)).status).toBe(401);
    expect(app.app.get(CronSignals).counters.get('test.every-second')?.started).toBeGreaterThanOrEqual(2);
  });
});
