import fc from 'fast-check';
import { InOrder } from '../../src/features/messaging/live/in-order.js';

const BATCH = 4;

interface Scenario {
  n: number;
  holes: Set<number>;
  publishes: Array<{ lost: boolean; delay: number }>;
  reads: Array<{ start: number; duration: number; sees: number }>;
}

/**
 * Replays a scenario against InOrder the way ConversationStream drives it: message k commits at 10·k
 * (in seq order, as the transactions guarantee); its live push arrives some time later or never; reads
 * of MongoDB do not overlap and see every message committed before they began, and any of those
 * committed while they ran (a MongoDB read is not a snapshot). `holes` are messages deleted afterwards.
 */
function replay(s: Scenario): number[] {
  const emitted: number[] = [];
  const order = new InOrder<{ seq: number }>(0, (m) => emitted.push(m.seq));
  const committedAt = (k: number) => 10 * k;
  type Ev = { at: number; run: () => void };
  const events: Ev[] = [];
  let reading = false;
  s.publishes.slice(0, s.n).forEach((p, i) => {
    if (!p.lost)
      events.push({
        at: committedAt(i + 1) + p.delay,
        run: () => (order.offer({ seq: i + 1 }), reading || order.drain()),
      });
  });
  let free = 0;
  const readAt = (start: number, duration: number, sees: number) => {
    const known = { value: 0, last: 0 };
    events.push({ at: start, run: () => ((reading = true), (known.value = order.known), (known.last = order.last)) });
    events.push({
      at: start + duration,
      run: () => {
        const all = Array.from({ length: s.n }, (_, i) => i + 1).filter((k) => k > known.last && !s.holes.has(k));
        const visible = all.filter(
          (k) => committedAt(k) <= start || (committedAt(k) <= start + duration && (sees >> (k % 16)) & 1),
        );
        order.applyRead(
          visible.slice(0, BATCH).map((seq) => ({ seq })),
          known.value,
          visible.length < BATCH,
        );
        reading = false;
        order.drain();
      },
    });
  };
  for (const r of [...s.reads].sort((a, b) => a.start - b.start)) {
    const start = Math.max(r.start, free);
    readAt(start, r.duration, r.sees);
    free = start + r.duration + 1;
  }
  events.sort((a, b) => a.at - b.at).forEach((e) => e.run());
  // Then the stream goes on reading (its periodic read) until nothing more comes.
  for (let i = 0, at = Math.max(free, 10 * s.n + 1000); i < s.n + 2; i++, at += 10) {
    events.length = 0;
    readAt(at, 1, 0);
    events.forEach((e) => e.run());
  }
  return emitted;
}

const scenario = fc.integer({ min: 1, max: 30 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    holes: fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: 3 }).map((h) => new Set(h)),
    publishes: fc.array(
      fc.record({ lost: fc.integer({ min: 0, max: 4 }).map((x) => x === 0), delay: fc.integer({ min: 0, max: 60 }) }),
      { minLength: n, maxLength: n },
    ),
    reads: fc.array(
      fc.record({
        start: fc.integer({ min: 0, max: 10 * n + 60 }),
        duration: fc.integer({ min: 0, max: 40 }),
        sees: fc.integer({ min: 0, max: 0xffff }),
      }),
      { maxLength: 8 },
    ),
  }),
);

describe('InOrder: the ordering of one stream', () => {
  it('emits every stored message once, in seq order, whatever pub/sub loses or reorders and whenever MongoDB is read', () => {
    fc.assert(
      fc.property(
        scenario.map((s) => ({ ...s, holes: new Set<number>() })),
        (s) => {
          expect(replay(s)).toEqual(Array.from({ length: s.n }, (_, i) => i + 1));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('steps over messages removed from MongoDB, and only over those', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const emitted = replay(s);
        expect(emitted).toEqual([...emitted].sort((a, b) => a - b));
        expect(new Set(emitted).size).toBe(emitted.length);
        for (let k = 1; k <= s.n; k++) if (!s.holes.has(k)) expect(emitted).toContain(k);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not take a message that committed during a read for a hole', () => {
    const emitted: number[] = [];
    const order = new InOrder<{ seq: number }>(5, (m) => emitted.push(m.seq));
    const known = order.known; // a read starts: nothing after 5 is known yet
    order.offer({ seq: 7 }); // 6 and 7 commit while it runs; 7's push arrives first
    order.applyRead([], known, true); // the read saw neither
    order.drain();
    expect(emitted).toEqual([]);
    const again = order.known; // a read that begins now must see 6
    order.applyRead([{ seq: 6 }, { seq: 7 }], again, true);
    expect(emitted).toEqual([6, 7]);
  });
});
