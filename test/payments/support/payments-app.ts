import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { FEATURES } from '../../../src/features/index.js';
import { bearer } from '../../support/auth/dev-tokens.js';
import { bootInProcess, type RunningApp } from '../../support/in-process-app.js';
import { FakeStripe } from '../../support/stripe/fake-stripe.js';
import { call } from '../../http/http-app.js';
import { waitFor as pollFor } from '../../events/support/wait.js';
import { PaymentEventsRecorderModule, RECORDED_EVENTS } from './payment-events.recorder.js';

export { call };

/** Polls until `probe` returns something (returned), failing after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  return (await pollFor(probe, { timeoutMs: options.timeoutMs ?? 20_000, what: options.what })) as T;
}

/** Bus settings that keep retries quick in tests. */
export const FAST_BUS = {
  EVENTS_BACKOFF_MS: '100',
  EVENTS_BACKOFF_JITTER_PCT: '0',
  EVENTS_ATTEMPTS: '5',
  LOG_LEVEL: 'error',
};

export interface PaymentsHarness {
  app: RunningApp;
  stripe: FakeStripe;
  db: Connection;
  /** JSON request as `user` (a bearer token for that subject). */
  as(user: string, method: string, path: string, json?: unknown): ReturnType<typeof call>;
  /** Polls GET /v1/payments/:id until `until` holds. */
  payment(user: string, id: string, until?: (p: any) => boolean): Promise<any>;
  recorded(filter?: Record<string, unknown>): Promise<any[]>;
  close(): Promise<void>;
}

/** keel in this process with every feature plus an event recorder, talking to a fresh fake Stripe. */
export async function bootPayments(suite: string, env: Record<string, string> = {}): Promise<PaymentsHarness> {
  const stripe = await FakeStripe.start();
  const app = await bootInProcess(suite, { ...FAST_BUS, ...stripe.env(), ...env }, [
    ...FEATURES,
    () => PaymentEventsRecorderModule.forRole(),
  ]);
  stripe.webhooks.endpoint = `${app.url}/v1/webhooks/stripe`;
  const db = app.app.get<Connection>(getConnectionToken());
  const as: PaymentsHarness['as'] = async (user, method, path, json) =>
    call(`${app.url}${path}`, { method, headers: await bearer(user), ...(json !== undefined ? { json } : {}) });
  return {
    app,
    stripe,
    db,
    as,
    payment: (user, id, until = () => true) =>
      waitFor(
        async () => {
          const res = await as(user, 'GET', `/v1/payments/${id}`);
          return res.status === 200 && until(res.body) ? res.body : undefined;
        },
        { what: `payment ${id} to reach the expected state`, timeoutMs: 20_000 },
      ),
    recorded: (filter = {}) => db.collection(RECORDED_EVENTS).find(filter).toArray(),
    close: async () => {
      await app.close();
      await stripe.stop();
    },
  };
}
