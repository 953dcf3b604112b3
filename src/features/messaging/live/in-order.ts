/** What InOrder needs of a message. */
export interface Sequenced {
  seq: number;
}

/**
 * Puts one conversation's messages in seq order for one stream, whichever way they come: live from
 * pub/sub (any order, possibly lost or repeated) or read from MongoDB. Each seq is emitted once, in order.
 *
 * Sequence numbers commit in order, so once seq N is known to be committed every seq below it is too. A
 * gap (N arrived, N-1 did not) is therefore filled from MongoDB, and it is a hole (that message was removed)
 * only when a read that began after N was known still lacks N-1: a read that began earlier may have run
 * before N-1 committed, and skipping then would lose it.
 */
export class InOrder<M extends Sequenced> {
  private readonly pending = new Map<number, M>();
  /** The highest seq known to be committed (seen live or in MongoDB). */
  private knownSeq: number;

  constructor(
    private lastSeq: number,
    private readonly emit: (m: M) => void,
    private readonly onHole: (from: number, to: number) => void = () => undefined,
  ) {
    this.knownSeq = lastSeq;
  }

  /** The seq of the last message emitted. */
  get last(): number {
    return this.lastSeq;
  }

  /** Take it before starting a read of MongoDB, and hand it to `applyRead` with the result. */
  get known(): number {
    return this.knownSeq;
  }

  /** Messages waiting for an earlier one. */
  get waiting(): number {
    return this.pending.size;
  }

  /** A message that arrived live; emitted by the next `drain`. */
  offer(m: M): void {
    this.knownSeq = Math.max(this.knownSeq, m.seq);
    if (m.seq > this.lastSeq) this.pending.set(m.seq, m);
  }

  /** Emits the buffered messages that follow `last`; true while some still wait for an earlier one. */
  drain(): boolean {
    for (let m = this.pending.get(this.lastSeq + 1); m; m = this.pending.get(this.lastSeq + 1)) {
      this.pending.delete(m.seq);
      this.lastSeq = m.seq;
      this.emit(m);
    }
    for (const seq of this.pending.keys()) if (seq <= this.lastSeq) this.pending.delete(seq);
    return this.pending.size > 0;
  }

  /**
   * One read of MongoDB: `docs` are the messages after `last` (as it was when the read began) in seq
   * order; `knownAtStart` is `known` from just before the read began; `complete` says whether the read
   * returned everything after `last` (not cut at a batch size).
   */
  applyRead(docs: M[], knownAtStart: number, complete: boolean): void {
    for (const m of docs) this.knownSeq = Math.max(this.knownSeq, m.seq);
    for (const m of docs) {
      if (m.seq <= this.lastSeq) continue;
      if (m.seq !== this.lastSeq + 1) this.skipConfirmed(m.seq, knownAtStart);
      if (m.seq !== this.lastSeq + 1) {
        // The rest of the gap may have committed after the read passed it: keep these for when it comes.
        for (const later of docs) if (later.seq > this.lastSeq) this.pending.set(later.seq, later);
        break;
      }
      this.pending.delete(m.seq);
      this.lastSeq = m.seq;
      this.emit(m);
    }
    if (!complete) return;
    const next = Math.min(...[...this.pending.keys()].filter((s) => s > this.lastSeq));
    if (Number.isFinite(next)) this.skipConfirmed(next, knownAtStart);
  }

  /**
   * The read lacked the messages before `next`. Those up to `knownAtStart` had committed before it began,
   * so they are gone; later ones may have committed while it ran, and wait for the next read.
   */
  private skipConfirmed(next: number, knownAtStart: number): void {
    const to = Math.min(next - 1, knownAtStart);
    if (to <= this.lastSeq) return;
    this.onHole(this.lastSeq + 1, to);
    this.lastSeq = to;
  }
}
