// Embedded MongoDB-compatible server through the raw driver: insertMany throughput and equality
// lookups by _id and by an indexed field, at 10k and 100k documents. Lookup rates should not fall
// as the collection grows (hash indexes, no scans). With MONGO_URL set, the same runs against it
// as the anchor.
//   node --import tsx bench/mongo/index.ts
import { pathToFileURL } from 'node:url';
import { MongoClient } from 'mongodb';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { printTable, type BenchResult } from '../support/results.js';

const SIZES = [10_000, 100_000];
const BATCH = 1_000;
const LOOKUPS = 1_000;
const ROUNDS = 5;
const CONCURRENCY = 4;

export interface MongoBenchRow {
  target: string;
  docs: number;
  insertsPerSec: number;
  findByIdPerSec: number;
  findByFieldPerSec: number;
  /** Documents the embedded server examined per lookup (from its storage stats); NaN for a real server. */
  examinedPerLookup: number;
}

async function lookups(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await one(next++);
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(target: string, uri: string, embedded?: EmbeddedMongoServer): Promise<MongoBenchRow[]> {
  const client = await MongoClient.connect(uri, { maxPoolSize: CONCURRENCY * 2 });
  const dbName = `bench_mongo_${Date.now().toString(36)}`;
  const db = client.db(dbName);
  const rows: MongoBenchRow[] = [];
  type BenchDoc = { _id: number; ref: string; n: number; pad: string };
  const fill = async (name: string, from: number, to: number) => {
    const coll = db.collection<BenchDoc>(name);
    for (let i = from; i < to; i += BATCH) {
      await coll.insertMany(
        Array.from({ length: Math.min(BATCH, to - i) }, (_, j) => ({
          _id: i + j,
          ref: `ref-${i + j}`,
          n: i + j,
          pad: 'x'.repeat(64),
        })),
      );
    }
  };
  try {
    // Warm-up, so that the first measured size does not pay for JIT compilation.
    const warm = db.collection<BenchDoc>('warmup');
    await warm.createIndex({ ref: 1 });
    await fill('warmup', 0, 5_000);
    await lookups(LOOKUPS, (i) => warm.findOne({ _id: i % 5_000 }));
    await lookups(LOOKUPS, (i) => warm.findOne({ ref: `ref-${i % 5_000}` }));
    await warm.drop();

    const colls = SIZES.map((size) => db.collection<BenchDoc>(`docs_${size}`));
    const insertsPerSec: number[] = [];
    for (const [k, size] of SIZES.entries()) {
      await colls[k].createIndex({ ref: 1 });
      const started = performance.now();
      await fill(`docs_${size}`, 0, size);
      insertsPerSec.push(size / ((performance.now() - started) / 1000));
    }
    // Rounds alternate between the sizes, so load from elsewhere on the machine hits both alike.
    const byId = SIZES.map(() => [] as number[]);
    const byField = SIZES.map(() => [] as number[]);
    const before = SIZES.map((size) => embedded?.stats(dbName, `docs_${size}`));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [k, size] of SIZES.entries()) {
        const pick = (i: number) => ((i + r * LOOKUPS) * 7919) % size;
        byId[k].push(await lookups(LOOKUPS, (i) => colls[k].findOne({ _id: pick(i) })));
        byField[k].push(await lookups(LOOKUPS, (i) => colls[k].findOne({ ref: `ref-${pick(i)}` })));
      }
    }
    for (const [k, size] of SIZES.entries()) {
      const after = embedded?.stats(dbName, `docs_${size}`);
      const examined =
        before[k] && after ? (after.docsExamined - before[k].docsExamined) / (2 * ROUNDS * LOOKUPS) : Number.NaN;
      rows.push({
        target,
        docs: size,
        insertsPerSec: insertsPerSec[k],
        findByIdPerSec: median(byId[k]),
        findByFieldPerSec: median(byField[k]),
        examinedPerLookup: examined,
      });
    }
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
  return rows;
}

const ratio = (rows: MongoBenchRow[], key: 'findByIdPerSec' | 'findByFieldPerSec') =>
  rows[rows.length - 1][key] / rows[0][key];

export async function run(): Promise<BenchResult & { rows: MongoBenchRow[] }> {
  const embedded = await EmbeddedMongoServer.start({
    logger: { warn: () => undefined, error: (m) => console.error(m) },
  });
  const rows: MongoBenchRow[] = [];
  try {
    rows.push(...(await measure('embedded', embedded.uri(), embedded)));
  } finally {
    await embedded.stop();
  }
  if (process.env.MONGO_URL) rows.push(...(await measure('mongodb (MONGO_URL)', process.env.MONGO_URL)));

  printTable(
    rows.map((r) => ({
      target: r.target,
      docs: r.docs,
      'inserts/s': Math.round(r.insertsPerSec),
      'find _id/s': Math.round(r.findByIdPerSec),
      'find indexed field/s': Math.round(r.findByFieldPerSec),
      'docs examined/lookup': Number.isNaN(r.examinedPerLookup) ? '-' : r.examinedPerLookup,
    })),
  );
  const figures: Record<string, number | string> = {};
  const summaries: string[] = [];
  for (const target of new Set(rows.map((r) => r.target))) {
    const mine = rows.filter((r) => r.target === target);
    const idRatio = ratio(mine, 'findByIdPerSec');
    const fieldRatio = ratio(mine, 'findByFieldPerSec');
    console.log(
      `${target}: lookup rate at 100k / 10k docs: _id ${idRatio.toFixed(2)}, indexed field ${fieldRatio.toFixed(2)} (target >= 0.8)`,
    );
    for (const r of mine) {
      figures[`${target} ${r.docs} inserts/s`] = Math.round(r.insertsPerSec);
      figures[`${target} ${r.docs} find _id/s`] = Math.round(r.findByIdPerSec);
      figures[`${target} ${r.docs} find field/s`] = Math.round(r.findByFieldPerSec);
    }
    figures[`${target} _id ratio 100k/10k`] = Number(idRatio.toFixed(2));
    figures[`${target} field ratio 100k/10k`] = Number(fieldRatio.toFixed(2));
    const big = mine[mine.length - 1];
    summaries.push(
      `${target}: ${Math.round(big.insertsPerSec)} inserts/s, ${Math.round(big.findByIdPerSec)} _id finds/s, ${Math.round(big.findByFieldPerSec)} field finds/s at 100k; 100k/10k lookup ratio ${idRatio.toFixed(2)}/${fieldRatio.toFixed(2)}`,
    );
  }
  return { summary: summaries.join('; '), figures, rows };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
