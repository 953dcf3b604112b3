// redlock 4.2 ships no types; this declares the part keel uses.
declare module 'redlock' {
  import type { EventEmitter } from 'node:events';

  namespace Redlock {
    interface Lock {
      resource: string;
      value: string;
      expiration: number;
      extend(ttl: number): Promise<Lock>;
      unlock(): Promise<void>;
    }
    interface Options {
      driftFactor?: number;
      retryCount?: number;
      retryDelay?: number;
      retryJitter?: number;
    }
    class LockError extends Error {}
  }

  class Redlock extends EventEmitter {
    constructor(clients: unknown[], options?: Redlock.Options);
    lock(resource: string | string[], ttl: number): Promise<Redlock.Lock>;
    quit(): Promise<void>;
    static LockError: typeof Redlock.LockError;
  }

  export = Redlock;
}
