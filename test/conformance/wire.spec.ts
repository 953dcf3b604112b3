import net from 'node:net';
import { deserialize, serialize, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { crc32c } from '../../src/platform/database/embedded/crc32c.js';
import { realMongo, startTarget, type Target } from './target.js';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

let requestId = 100;

function header(length: number, opCode: number, id = ++requestId): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(id, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opQuery(ns: string, query: Document): Buffer {
  const flags = Buffer.alloc(4);
  const name = Buffer.from(`${ns}\0`);
  const skipReturn = Buffer.alloc(8);
  skipReturn.writeInt32LE(-1, 4);
  const body = Buffer.concat([flags, name, skipReturn, serialize(query)]);
  return Buffer.concat([header(16 + body.length, OP_QUERY), body]);
}

function opMsg(
  body: Document,
  sequences: [string, Document[]][] = [],
  opts: { checksum?: boolean; flags?: number } = {},
): Buffer {
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE((opts.flags ?? 0) | (opts.checksum ? 1 : 0));
  const parts = [flags, Buffer.from([0]), serialize(body)];
  for (const [id, docs] of sequences) {
    const payload = Buffer.concat([Buffer.from(`${id}\0`), ...docs.map((d) => serialize(d))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4);
    parts.push(Buffer.from([1]), size, payload);
  }
  const rest = Buffer.concat(parts);
  const length = 16 + rest.length + (opts.checksum ? 4 : 0);
  const msg = Buffer.concat([header(length, OP_MSG), rest]);
  if (!opts.checksum) return msg;
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32c(msg));
  return Buffer.concat([msg, sum]);
}

function corruptChecksum(msg: Buffer): Buffer {
  msg.writeUInt32LE((msg.readUInt32LE(msg.length - 4) + 1) >>> 0, msg.length - 4);
  return msg;
}

/** A raw client socket that reads whole reply frames. */
class Raw {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', () => undefined);
  }
  static connect(t: Target): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect(t.port, t.host, () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }
  send(b: Buffer): void {
    this.socket.write(b);
  }
  /** The next reply frame, or null if the server closed the socket (or nothing came within `ms`). */
  async reply(ms = 3000): Promise<{ opCode: number; responseTo: number; doc: Document } | null> {
    const deadline = Date.now() + ms;
    while (this.buf.length < 4 || this.buf.length < this.buf.readInt32LE(0)) {
      if (this.closed || Date.now() > deadline) return null;
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    const len = this.buf.readInt32LE(0);
    const frame = this.buf.subarray(0, len);
    this.buf = this.buf.subarray(len);
    const opCode = frame.readInt32LE(12);
    const docStart = opCode === OP_REPLY ? 36 : 21;
    return { opCode, responseTo: frame.readInt32LE(8), doc: deserialize(frame.subarray(docStart)) };
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('conformance: wire protocol', () => {
  let target: Target;
  const raws: Raw[] = [];
  const open = async () => {
    const r = await Raw.connect(target);
    raws.push(r);
    return r;
  };
  const pingWorks = async () => {
    const r = await open();
    r.send(opMsg({ ping: 1, $db: 'admin' }));
    return (await r.reply())?.doc.ok;
  };
  beforeAll(async () => {
    target = await startTarget('wire');
  });
  afterEach(() => raws.splice(0).forEach((r) => r.close()));
  afterAll(() => target.stop());

  it('answers the legacy OP_QUERY hello with an OP_REPLY describing a writable replica-set primary', async () => {
    const r = await open();
    r.send(opQuery('admin.$cmd', { isMaster: 1, helloOk: true, client: { driver: { name: 'raw', version: '0' } } }));
    const reply = await r.reply();
    expect(reply?.opCode).toBe(OP_REPLY);
    expect(reply?.responseTo).toBe(requestId);
    const hello = reply!.doc;
    expect(hello).toMatchObject({ ok: 1, ismaster: true, helloOk: true });
    expect(typeof hello.setName).toBe('string');
    expect(hello.hosts.length).toBeGreaterThan(0);
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
    expect(hello.logicalSessionTimeoutMinutes).toBeGreaterThan(0);
    expect(hello.topologyVersion).toBeDefined();
    expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    // then OP_MSG on the same connection
    r.send(opMsg({ hello: 1, $db: 'admin' }));
    const msg = await r.reply();
    expect(msg?.opCode).toBe(OP_MSG);
    expect(msg?.doc).toMatchObject({ ok: 1, isWritablePrimary: true });
  });

  it('accepts OP_MSG document sequences (kind 1) and the checksum flag', async () => {
    const r = await open();
    const docs = [
      { _id: 1, a: 'x' },
      { _id: 2, a: 'y' },
    ];
    r.send(opMsg({ insert: 'seq', $db: target.dbName }, [['documents', docs]], { checksum: true }));
    expect((await r.reply())?.doc).toMatchObject({ ok: 1, n: 2 });
    r.send(opMsg({ update: 'seq', $db: target.dbName }, [['updates', [{ q: { _id: 2 }, u: { $set: { b: 1 } } }]]]));
    expect((await r.reply())?.doc).toMatchObject({ ok: 1, n: 1, nModified: 1 });
    r.send(opMsg({ find: 'seq', filter: {}, sort: { _id: 1 }, $db: target.dbName }));
    expect((await r.reply())?.doc.cursor.firstBatch).toEqual([
      { _id: 1, a: 'x' },
      { _id: 2, a: 'y', b: 1 },
    ]);
    r.send(opMsg({ delete: 'seq', $db: target.dbName }, [['deletes', [{ q: {}, limit: 0 }]]]));
    expect((await r.reply())?.doc).toMatchObject({ ok: 1, n: 2 });
  });

  it('sends no reply to a moreToCome (unacknowledged) message', async () => {
    const r = await open();
    r.send(
      opMsg({ insert: 'w0', documents: [{ x: 1 }], writeConcern: { w: 0 }, $db: target.dbName }, [], { flags: 2 }),
    );
    r.send(opMsg({ ping: 1, $db: 'admin' }));
    const next = await r.reply();
    expect(next?.responseTo).toBe(requestId);
    expect(next?.doc.ok).toBe(1);
  });

  it("keeps the driver's streaming monitor (awaitable hello, exhaust replies) healthy", async () => {
    const client = new MongoClient(target.uri, { heartbeatFrequencyMS: 300, serverSelectionTimeoutMS: 5000 });
    let ok = 0;
    const failures: string[] = [];
    client.on('serverHeartbeatSucceeded', () => ok++);
    client.on('serverHeartbeatFailed', (e) => failures.push(e.failure.message));
    try {
      await client.connect();
      await new Promise((r) => setTimeout(r, 1500));
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThanOrEqual(3);
      expect(ok).toBeLessThan(20); // held for maxAwaitTimeMS, not answered in a tight loop
    } finally {
      await client.close();
    }
  });

  it.runIf(!realMongo)('does not advertise compression even when the client offers it', async () => {
    const r = await open();
    r.send(opQuery('admin.$cmd', { isMaster: 1, compression: ['zlib', 'snappy', 'zstd'] }));
    expect((await r.reply())?.doc.compression).toBeUndefined();
  });

  it.runIf(!realMongo)('closes the socket on unparseable framing and keeps serving others', async () => {
    for (const bad of [
      Buffer.from([3, 0, 0, 0]), // length smaller than a header
      Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]), // absurd length
      header(16, 9999), // unknown opcode
      corruptChecksum(opMsg({ ping: 1, $db: 'admin' }, [], { checksum: true })),
    ]) {
      const r = await open();
      r.send(bad);
      expect(await r.reply(2000)).toBeNull();
      expect(r.closed).toBe(true);
    }
    expect(await pingWorks()).toBe(1);
  });

  it.runIf(!realMongo)('answers a message with garbage BSON with an InvalidBSON error', async () => {
    const r = await open();
    const junk = Buffer.concat([
      Buffer.alloc(4),
      Buffer.from([0]),
      Buffer.from([20, 0, 0, 0, 2, 97, 0, 255, 255, 255, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ]);
    r.send(Buffer.concat([header(16 + junk.length, OP_MSG), junk]));
    const reply = await r.reply();
    expect(reply?.doc).toMatchObject({ ok: 0, code: 22, codeName: 'InvalidBSON' });
    r.send(opMsg({ ping: 1, $db: 'admin' }));
    expect((await r.reply())?.doc.ok).toBe(1);
  });

  it.runIf(!realMongo)('survives random bytes on many connections', async () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 60; i++) {
      const r = await open();
      const len = 16 + Math.floor(rand() * 200);
      const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
      if (i % 2 === 0) bytes.writeInt32LE(len, 0);
      if (i % 3 === 0) bytes.writeInt32LE(OP_MSG, 12);
      r.send(bytes);
      await r.reply(100);
      r.close();
    }
    expect(await pingWorks()).toBe(1);
  });

  it.runIf(!realMongo)('lets the driver recover after every connection is dropped', async () => {
    const client = await MongoClient.connect(target.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const c = client.db(target.dbName).collection('drops');
      await c.insertOne({ n: 1 });
      target.embedded!.dropAllConnections();
      await c.insertOne({ n: 2 });
      expect(await c.countDocuments()).toBe(2);
      target.embedded!.dropAllConnections();
      expect((await c.find().sort({ n: 1 }).toArray()).map((d) => d.n)).toEqual([1, 2]);
    } finally {
      await client.close();
    }
  });
});
