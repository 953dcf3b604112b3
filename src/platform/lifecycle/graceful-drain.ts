import { Logger, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig, BootError } from '../../config/index.js';
import { DrainHooks, type DrainHook } from './drain-hooks.js';
import { DrainState } from './drain-state.js';
import { HttpConnections } from './http-connections.js';

/** How long SSE streams get to end themselves once the server stops accepting connections. */
const STREAMS_GRACE_MS = 1000;

export interface DrainOptions {
  /** How long readiness reports 503 while the process still serves, so load balancers stop routing to it. */
  delayMs: number;
  /** The whole drain must end within this; past it the process exits 1. Keep it below the orchestrator's grace period. */
  boundMs: number;
}

/** DRAIN_DELAY_MS (default 5000 in production, 0 otherwise) and SHUTDOWN_TIMEOUT_MS, checked against each other. */
export function drainOptions(config: AppConfig): DrainOptions {
  const delayMs = config.DRAIN_DELAY_MS ?? (config.NODE_ENV === 'production' ? 5000 : 0);
  if (delayMs >= config.SHUTDOWN_TIMEOUT_MS) {
    throw new BootError(
      `DRAIN_DELAY_MS (${delayMs}) must be less than SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS}): ` +
        'the drain delay is only the first part of the shutdown bound.',
    );
  }
  return { delayMs, boundMs: config.SHUTDOWN_TIMEOUT_MS };
}

/** Resolves true when `p` settles within `ms`, false otherwise. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs hooks in parallel within the budget; false if one failed, overran, or reported an unclean end (false). */
async function runHooks(hooks: DrainHook[], left: () => number, logger: Logger): Promise<boolean> {
  const results = await Promise.all(
    hooks.map(async (hook) => {
      const started = Date.now();
      const run = hook.run(left()).then(
        (result) => result !== false,
        (err: unknown) => {
          logger.error(`drain: ${hook.name} failed: ${err instanceof Error ? err.message : String(err)}`);
          return false;
        },
      );
      let clean: boolean | undefined;
      const finished = await within(
        run.then((c) => (clean = c)),
        left(),
      );
      if (!finished) {
        logger.warn(`drain: ${hook.name} did not finish within the shutdown bound; going on`);
        return false;
      }
      logger.log(`drain: ${hook.name} ${clean ? 'done' : 'ended uncleanly'} in ${Date.now() - started} ms`);
      return clean === true;
    }),
  );
  return results.every(Boolean);
}

/**
 * The drain sequence: readiness 503 → wait `delayMs` → stop accepting connections, end SSE streams,
 * close idle keep-alive sockets → in-flight requests finish while workers finish their active jobs →
 * flush the outbox relay → close the application (stores, Redis). Resolves once everything is closed:
 * true if every phase ended on its own, false if the bound cut something short (requests, jobs).
 */
export async function drain(app: INestApplication, opts: DrainOptions, logger = new Logger('Drain')): Promise<boolean> {
  const t0 = Date.now();
  // Time kept after the HTTP and job phases for app.close() (Mongo, Redis, embedded server).
  const deadline = t0 + opts.boundMs - Math.min(3000, Math.floor(opts.boundMs / 5));
  const left = () => Math.max(0, deadline - Date.now());
  const state = app.get(DrainState);
  const hooks = app.get(DrainHooks);
  const conns = app.get(HttpConnections);

  state.begin();
  logger.log(`draining: readiness answers 503; serving for ${opts.delayMs} ms more while load balancers notice`);
  await sleep(Math.min(opts.delayMs, left()));

  const server = app.getHttpServer() as Server;
  const httpClosed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  state.endStreams();
  const streamsBackstop = setTimeout(() => {
    const ended = conns.endEventStreams();
    if (ended > 0) logger.warn(`drain: ended ${ended} SSE stream(s) that did not end on DrainState.streamsSignal`);
  }, STREAMS_GRACE_MS);
  // A response that just finished on a keep-alive socket leaves it idle: close those as they appear.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  logger.log(`drain: stopped accepting connections; ${conns.active} request(s) in flight`);
  const workers = runHooks(hooks.of('workers'), left, logger);
  const httpDone = await within(httpClosed, left());
  clearInterval(sweep);
  clearTimeout(streamsBackstop);
  if (httpDone) logger.log(`drain: in-flight requests finished after ${Date.now() - t0} ms`);
  else {
    logger.warn(`drain: ${conns.active} request(s) still running at the bound: closing their connections`);
    server.closeAllConnections();
  }
  const workersClean = await workers;
  const relayClean = await runHooks(hooks.of('relay'), left, logger);
  await app.close();
  const clean = httpDone && workersClean && relayClean;
  logger.log(`drained in ${Date.now() - t0} ms${clean ? '' : ' (some work was cut short: see above)'}`);
  return clean;
}

/**
 * SIGTERM/SIGINT run the drain and exit 0 (1 if the bound cut work short); a second signal, or the bound
 * elapsing, exits 1 at once.
 * (Nest's own enableShutdownHooks re-raises the signal, which orchestrators read as a crash.)
 */
export function drainOnSignals(app: INestApplication, opts: DrainOptions, logger = new Logger('Drain')): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    draining = true;
    logger.log(`${signal}: draining (bound ${opts.boundMs} ms)`);
    setTimeout(() => {
      logger.error(`drain took longer than ${opts.boundMs} ms: exiting`);
      process.exit(1);
    }, opts.boundMs).unref();
    drain(app, opts, logger).then(
      (clean) => process.exit(clean ? 0 : 1),
      (err: unknown) => {
        logger.error(`drain failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
