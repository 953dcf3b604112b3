import { Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { DrainState } from '../../platform/lifecycle/index.js';
import type { AuthUser } from '../../platform/http/index.js';
import { isFinal } from './ai-job.status.js';
import { toJobDto } from './ai-jobs.mapper.js';
import { AiJobsRepository } from './ai-jobs.repository.js';
import type { AiJobDto } from './dto/ai-job.dto.js';
import { JobChannels } from './runtime/job-channels.js';

/** How often an open stream re-reads the job (a lost pub/sub message is caught up) and writes a keep-alive. */
const REREAD_MS = 5_000;
const KEEPALIVE_MS = 15_000;

/**
 * A job's status changes as server-sent events (`event: status`, `id: <version>`, data: the job), from
 * whichever replica the client is connected to: changes arrive over Redis pub/sub from the worker that
 * makes them. The first event is the current state; the stream ends after the final one, and when the
 * process starts draining (the client reconnects elsewhere and gets the current state again).
 * The caller's access to the job is checked before (JobOwnerGuard): once an SSE response has begun, an
 * error can no longer become a 404.
 */
@Injectable()
export class JobStatusStream {
  constructor(
    private readonly repo: AiJobsRepository,
    private readonly channels: JobChannels,
    private readonly drain: DrainState,
  ) {}

  open(user: AuthUser, id: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let last = -1;
      let closed = false;
      let stopWatching: (() => void) | undefined;
      const emit = (view: AiJobDto) => {
        if (closed || view.version <= last) return;
        last = view.version;
        subscriber.next({ type: 'status', id: String(view.version), data: view });
        if (isFinal(view.status)) end();
      };
      const reread = async () => {
        const doc = await this.repo.findById(user, id).catch(() => null);
        if (doc) emit(toJobDto(doc));
      };
      const timers = [
        setInterval(() => void reread(), REREAD_MS),
        setInterval(() => !closed && subscriber.next({ comment: 'keep-alive' }), KEEPALIVE_MS),
      ];
      const cleanup = () => {
        closed = true;
        timers.forEach(clearInterval);
        stopWatching?.();
        this.drain.streamsSignal.removeEventListener('abort', end);
      };
      function end() {
        if (closed) return;
        cleanup();
        subscriber.complete();
      }
      if (this.drain.streamsSignal.aborted) queueMicrotask(end);
      this.drain.streamsSignal.addEventListener('abort', end, { once: true });
      // Subscribed first, then the current state: no change can slip between the two. Without Redis the
      // stream still follows the job through its re-reads.
      this.channels
        .watchStatus(id, (view) => emit(view as AiJobDto))
        .then((stop) => (closed ? stop() : (stopWatching = stop)))
        .catch(() => undefined)
        .finally(() => void reread());
      return cleanup;
    });
  }
}
