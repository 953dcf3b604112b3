import { Schema } from 'mongoose';

export const IDEMPOTENCY_MODEL = 'IdempotencyRecord';

/** One Idempotency-Key of one user: who holds it while running, then the response to replay. */
export interface IdempotencyRecord {
  userId: string;
  key: string;
  fingerprint: string;
  state: 'running' | 'done';
  /** Identifies the request holding the lock, so a late finisher cannot overwrite a takeover. */
  lockId?: string;
  lockedUntil?: Date;
  status?: number;
  body?: string;
  contentType?: string;
  /**
   * Set in the request's own transaction when it commits: the response to replay if the process dies
   * before it records the real one, so a retry after a lease takeover never runs the handler again.
   */
  committed?: { status: number; body: string; contentType: string };
  expiresAt: Date;
}

export const IdempotencySchema = new Schema<IdempotencyRecord>(
  {
    userId: { type: String, required: true },
    key: { type: String, required: true },
    fingerprint: { type: String, required: true },
    state: { type: String, required: true, enum: ['running', 'done'] },
    lockId: String,
    lockedUntil: Date,
    status: Number,
    body: String,
    contentType: String,
    committed: { type: Object },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'idempotency_keys', versionKey: false, autoIndex: false },
);

IdempotencySchema.index({ userId: 1, key: 1 }, { unique: true });
// Records also count as absent once expiresAt passes, so correctness never waits for the TTL monitor.
IdempotencySchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
