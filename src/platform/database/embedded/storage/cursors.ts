import { calculateObjectSize, Long } from 'bson';
import { Codes, MongoCommandError } from '../errors.js';
import type { Doc } from './keys.js';

const DEFAULT_FIRST_BATCH = 101;
/** Keeps a reply under the 16 MiB BSON document limit, with room for the envelope. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60_000;

interface ServerCursor {
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
}

export interface CursorReply extends Doc {
  id: Long;
  ns: string;
}

/** Open cursors over fully materialised results, handed out batch by batch. */
export class CursorRegistry {
  private readonly cursors = new Map<string, ServerCursor>();
  private nextId = BigInt(Math.floor(Math.random() * 2 ** 30)) << 20n;

  get size(): number {
    return this.cursors.size;
  }

  /** The first batch and, when documents remain (and not `singleBatch`), a cursor for the rest. */
  open(ns: string, docs: Doc[], batchSize?: number, singleBatch = false): CursorReply {
    const limit = batchSize && batchSize > 0 ? batchSize : DEFAULT_FIRST_BATCH;
    const firstBatch = takeBatch(docs, 0, limit);
    if (singleBatch || firstBatch.length >= docs.length) return { firstBatch, id: Long.ZERO, ns };
    const id = ++this.nextId;
    this.cursors.set(id.toString(), { ns, docs, pos: firstBatch.length, lastUsed: Date.now() });
    return { firstBatch, id: Long.fromBigInt(id), ns };
  }

  getMore(id: Long | number, ns: string, batchSize?: number): CursorReply {
    const key = String(id);
    const cursor = this.cursors.get(key);
    if (!cursor) throw new MongoCommandError(Codes.CursorNotFound, `cursor id ${key} not found`);
    if (cursor.ns !== ns) {
      throw new MongoCommandError(
        Codes.BadValue,
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    }
    const nextBatch = takeBatch(cursor.docs, cursor.pos, batchSize && batchSize > 0 ? batchSize : Infinity);
    cursor.pos += nextBatch.length;
    cursor.lastUsed = Date.now();
    const exhausted = cursor.pos >= cursor.docs.length;
    if (exhausted) this.cursors.delete(key);
    return { nextBatch, id: exhausted ? Long.ZERO : Long.fromString(key), ns };
  }

  kill(ids: unknown[]): { cursorsKilled: Long[]; cursorsNotFound: Long[] } {
    const cursorsKilled: Long[] = [];
    const cursorsNotFound: Long[] = [];
    for (const id of ids) {
      const key = String(id);
      const asLong = Long.fromString(key);
      (this.cursors.delete(key) ? cursorsKilled : cursorsNotFound).push(asLong);
    }
    return { cursorsKilled, cursorsNotFound };
  }

  sweep(now = Date.now()): void {
    for (const [id, c] of this.cursors) if (now - c.lastUsed > IDLE_TIMEOUT_MS) this.cursors.delete(id);
  }

  clear(): void {
    this.cursors.clear();
  }
}

function takeBatch(docs: Doc[], from: number, max: number): Doc[] {
  const batch: Doc[] = [];
  let bytes = 0;
  for (let i = from; i < docs.length && batch.length < max; i++) {
    const size = calculateObjectSize(docs[i], { ignoreUndefined: true });
    if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
    batch.push(docs[i]);
    bytes += size;
  }
  return batch;
}
