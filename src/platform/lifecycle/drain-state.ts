import { Injectable } from '@nestjs/common';

/**
 * Whether this process is draining. Readiness reads it (503 once draining), the HTTP layer reads it
 * (responses carry `Connection: close` so keep-alive clients reconnect elsewhere), and long-lived
 * responses such as SSE streams end themselves when `streamsSignal` aborts.
 */
@Injectable()
export class DrainState {
  private startedAtMs?: number;
  private readonly streams = new AbortController();

  get draining(): boolean {
    return this.startedAtMs !== undefined;
  }

  /** When draining began (epoch ms), or undefined. */
  get startedAt(): number | undefined {
    return this.startedAtMs;
  }

  /** Aborts when the process stops accepting connections: SSE handlers end their stream on it. */
  get streamsSignal(): AbortSignal {
    return this.streams.signal;
  }

  begin(): void {
    this.startedAtMs ??= Date.now();
  }

  endStreams(): void {
    this.begin();
    this.streams.abort(new Error('draining'));
  }
}
