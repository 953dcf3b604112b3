import os from 'node:os';
import { Long, ObjectId, Timestamp, type Document } from 'bson';
import type { CommandContext, Handler } from './context.js';

export const VERSION = '7.0.0';
/** MongoDB 7.0: high enough for sessions, transactions and every command the driver sends. */
export const MAX_WIRE_VERSION = 21;
const ELECTION_ID = new ObjectId('7fffffff0000000000000001');
const startedAt = Date.now();

function topology(ctx: CommandContext): Document {
  const now = new Date();
  const opTime = { ts: Timestamp.fromBits(0, Math.floor(now.getTime() / 1000)), t: Long.fromNumber(1) };
  return {
    topologyVersion: { processId: ctx.server.processId, counter: Long.ZERO },
    hosts: [ctx.server.address],
    setName: ctx.server.setName,
    setVersion: 1,
    secondary: false,
    primary: ctx.server.address,
    me: ctx.server.address,
    electionId: ELECTION_ID,
    lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: now,
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.server.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

/**
 * The driver's monitor sends an "awaitable" hello (topologyVersion + maxAwaitTimeMS) and expects
 * the server to hold it until the topology changes or the time is up. Ours never changes, so we
 * hold it for the full time; answering at once would make the monitor spin.
 */
async function awaitIfAsked(cmd: Document, ctx: CommandContext): Promise<void> {
  const wait = Number(cmd.maxAwaitTimeMS);
  if (!cmd.topologyVersion || !Number.isFinite(wait) || wait <= 0) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, wait);
    timer.unref();
    ctx.signal?.addEventListener('abort', done, { once: true });
  });
}

const hello: Handler = async (cmd, ctx) => {
  await awaitIfAsked(cmd, ctx);
  return { isWritablePrimary: true, helloOk: true, ...topology(ctx) };
};

const isMaster: Handler = async (cmd, ctx) => {
  await awaitIfAsked(cmd, ctx);
  return { ismaster: true, helloOk: true, ...topology(ctx) };
};

const buildInfo: Handler = () => ({
  version: VERSION,
  gitVersion: 'keel-embedded',
  versionArray: [7, 0, 0, 0],
  modules: [],
  allocator: 'system',
  javascriptEngine: 'none',
  sysInfo: 'deprecated',
  bits: 64,
  debug: false,
  maxBsonObjectSize: 16 * 1024 * 1024,
  storageEngines: ['inMemory'],
  ok: 1,
});

const PARAMETERS: Document = {
  featureCompatibilityVersion: { version: '7.0' },
  transactionLifetimeLimitSeconds: 60,
  maxTransactionLockRequestTimeoutMillis: 5,
  authenticationMechanisms: [],
};

const getParameter: Handler = (cmd) => {
  const all = cmd.getParameter === '*' || (typeof cmd.getParameter === 'object' && cmd.getParameter?.allParameters);
  const out: Document = {};
  for (const [k, v] of Object.entries(PARAMETERS)) if (all || k in cmd) out[k] = v;
  return { ...out, ok: 1 };
};

const serverStatus: Handler = (_cmd, ctx) => ({
  host: ctx.server.address,
  version: VERSION,
  process: 'mongod',
  pid: Long.fromNumber(process.pid),
  uptime: (Date.now() - startedAt) / 1000,
  uptimeMillis: Long.fromNumber(Date.now() - startedAt),
  localTime: new Date(),
  connections: { current: ctx.server.openConnections?.() ?? 0, available: 1_000_000 },
  storageEngine: { name: 'inMemory', supportsCommittedReads: true, persistent: false },
  ok: 1,
});

const replSetGetStatus: Handler = (_cmd, ctx) => ({
  set: ctx.server.setName,
  date: new Date(),
  myState: 1,
  members: [{ _id: 0, name: ctx.server.address, health: 1, state: 1, stateStr: 'PRIMARY', self: true }],
  ok: 1,
});

export const handshakeCommands: Record<string, Handler> = {
  hello,
  isMaster,
  ismaster: isMaster,
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  serverStatus,
  replSetGetStatus,
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  hostInfo: () => ({
    system: { currentTime: new Date(), hostname: os.hostname(), cpuAddrSize: 64, numCores: os.cpus().length },
    os: { type: os.type(), name: os.platform() },
    extra: {},
    ok: 1,
  }),
  whatsmyuri: (_cmd, ctx) => ({ you: ctx.server.peer ?? '', ok: 1 }),
  getCmdLineOpts: () => ({ argv: ['keel-embedded-mongo'], parsed: {}, ok: 1 }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  logout: () => ({ ok: 1 }),
};
