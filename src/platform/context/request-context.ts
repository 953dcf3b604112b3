import { AsyncLocalStorage } from 'node:async_hooks';

/** Who caused the current unit of work and the id that ties its logs, events and jobs together. */
export interface RequestContextData {
  correlationId: string;
  actorId?: string;
}

const storage = new AsyncLocalStorage<RequestContextData>();

/**
 * The ambient context of an HTTP request or a job. The HTTP edge opens it per request, event handlers
 * open it per job from the event's fields; the event publisher and the logger read it.
 */
export const RequestContext = {
  run<T>(data: RequestContextData, fn: () => T): T {
    return storage.run(data, fn);
  },
  current(): RequestContextData | undefined {
    return storage.getStore();
  },
  /** Sets the actor once authentication has identified it (the context is opened before auth runs). */
  setActor(actorId: string): void {
    const store = storage.getStore();
    if (store) store.actorId = actorId;
  },
};
