import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { EventQueues, OutboxSweep } from '../../src/platform/events/index.js';
import { OutboxStore } from '../../src/platform/events/outbox/outbox.store.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { WidgetsFeature } from './fixtures/widgets.feature.js';

/** Records left behind (a crash between commit and enqueue, a Redis outage) and the sweep that picks them up. */
describe('outbox sweep', () => {
  let app: RunningApp;
  let db: Connection;

  // The api role runs no workers and no sweep loop: jobs stay queued and the test drives the sweep.
  beforeAll(async () => {
    app = await bootInProcess('events_sweep', { APP_ROLE: 'api' }, [(r) => WidgetsFeature.forRole(r)]);
    db = app.app.get(getConnectionToken());
  });
  afterAll(() => app?.close());

  const leftBehind = async (n: number) => {
    const ids: string[] = Array.from({ length: n }, () => randomUUID());
    const past = new Date(Date.now() - 60_000);
    await db.collection('events_outbox').insertMany(
      ids.map((id, i) => ({
        _id: id as never,
        type: 'test.widget.created',
        version: 1,
        occurredAt: past,
        aggregateId: `w${i}`,
        correlationId: 'sweep',
        payload: { n: i },
        subscribers: ['test.audit', 'test.mailer'],
        dueAt: past,
        publishedAt: null,
      })),
    );
    return ids;
  };

  it('claims are exclusive between concurrent sweepers, and an expired claim is taken again', async () => {
    const ids = await leftBehind(40);
    const store = app.app.get(OutboxStore);
    // two sweepers claim side by side until nothing is due: no record is claimed twice, none is missed
    const claimedBy: Array<string[]> = [[], []];
    for (let round = 0; round < 10; round++) {
      const claims = await Promise.all([store.claimDue(15, 60_000), store.claimDue(15, 60_000)]);
      claims.forEach((c, i) => claimedBy[i]!.push(...c.records.map((r) => r._id).filter((id) => ids.includes(id))));
      if (claims.every((c) => c.records.length === 0)) break;
    }
    expect(claimedBy[0]!.filter((id) => claimedBy[1]!.includes(id))).toEqual([]);
    expect(new Set([...claimedBy[0]!, ...claimedBy[1]!]).size).toBe(40);
    // a claim whose sweeper vanished expires with its lease: the records are due again, for whoever comes
    await db
      .collection('events_outbox')
      .updateMany({ _id: { $in: ids as never[] } }, { $set: { dueAt: new Date(Date.now() - 1) } });
    const stale = await store.claimDue(100, 50);
    expect(stale.records.filter((r) => ids.includes(r._id))).toHaveLength(40);
    await new Promise((r) => setTimeout(r, 100));
    const again = await store.claimDue(100, 10_000);
    expect(
      again.records
        .map((r) => r._id)
        .filter((id) => ids.includes(id))
        .sort(),
    ).toEqual([...ids].sort());
    expect(again.claim).not.toBe(stale.claim);
    await db.collection('events_outbox').deleteMany({ _id: { $in: ids as never[] } });
  });

  it('two sweeps at once enqueue each delivery once, then mark the records published', async () => {
    const ids = await leftBehind(30);
    const sweep = app.app.get(OutboxSweep);
    await Promise.all([sweep.sweepOnce(), sweep.sweepOnce()]);
    const queues = app.app.get(EventQueues);
    for (const subscriber of ['test.audit', 'test.mailer']) {
      const jobs = await queues.of(subscriber).getJobs(['waiting']);
      const ours = jobs.filter((j) => ids.includes(j.data.id));
      expect(ours).toHaveLength(30);
      expect(new Set(ours.map((j) => j.id)).size).toBe(30);
      expect(ours[0]!.id).toBe(`${ours[0]!.data.id}@${subscriber}`);
    }
    const records = await db
      .collection('events_outbox')
      .find({ _id: { $in: ids as never[] } })
      .toArray();
    expect(records.every((r) => r.publishedAt && r.claim === null && r.dueAt > new Date())).toBe(true);
  });
});
