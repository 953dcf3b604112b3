// What index.ts and driver.ts (the load process) tell each other.

/** Fixed latencies of the fake providers. */
export const LATENCY_MS = { payment: 80, ai: 300, notification: 50 };

export interface RequestRecord {
  ref: string;
  sentAt: number;
  answeredAt: number;
  status: number;
}

export interface SegmentCommand {
  cmd: 'segment';
  url: string;
  rate: number;
  seconds: number;
  tokens: string[];
}

export interface SegmentResult {
  records: RequestRecord[];
  /** Requests autocannon counted as errors or timeouts (no answer). */
  errors: number;
  sent: number;
}
