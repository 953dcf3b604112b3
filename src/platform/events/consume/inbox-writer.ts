import type { InboxRecord } from '../events.schemas.js';

export interface InboxCollection {
  insertMany(docs: InboxRecord[], options: { ordered: false }): Promise<unknown>;
}

interface Waiter {
  record: InboxRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface BulkWriteFailure {
  code?: number;
  writeErrors?: Array<{ index: number; code?: number }>;
}

/**
 * Writes the inbox records of `transaction: false` deliveries. A record waiting while another write is
 * in flight joins the next one: one insertMany for all that queued meanwhile, so under load many
 * deliveries share a round trip, and an idle bus writes each at once. An existing record (a duplicate
 * delivery) counts as written.
 */
export class InboxWriter {
  private queued: Waiter[] = [];
  private writing = false;

  constructor(private readonly inbox: InboxCollection) {}

  record(record: InboxRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ record, resolve, reject });
      if (!this.writing) void this.writeQueued();
    });
  }

  private async writeQueued(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const batch = this.queued;
      this.queued = [];
      try {
        await this.inbox.insertMany(
          batch.map((w) => w.record),
          { ordered: false },
        );
        for (const w of batch) w.resolve();
      } catch (err) {
        settleFailed(batch, err as BulkWriteFailure);
      }
    }
    this.writing = false;
  }
}

function settleFailed(batch: Waiter[], err: BulkWriteFailure): void {
  if (!err.writeErrors) {
    if (err.code === 11000 && batch.length === 1) batch[0]!.resolve();
    else for (const w of batch) w.reject(err);
    return;
  }
  const failed = new Map(err.writeErrors.map((e) => [e.index, e]));
  batch.forEach((w, i) => {
    const e = failed.get(i);
    if (!e || e.code === 11000) w.resolve();
    else w.reject(err);
  });
}
