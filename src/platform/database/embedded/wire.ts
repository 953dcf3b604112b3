import { deserialize, serialize, type Document } from 'bson';
import { crc32c } from './crc32c.js';
import { Codes, MongoCommandError } from './errors.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const HEADER_BYTES = 16;
export const MAX_MESSAGE_BYTES = 48_000_000;

const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 1 << 1;
const EXHAUST_ALLOWED = 1 << 16;

/** Framing the server cannot make sense of: the only answer is to close the socket. */
export class FrameError extends Error {}

export interface Request {
  requestId: number;
  opCode: typeof OP_MSG | typeof OP_QUERY;
  db: string;
  /** The command, with any OP_MSG document-sequence sections merged in as arrays. */
  command: Document;
  /** The client expects no reply (unacknowledged writes). */
  moreToCome: boolean;
  exhaustAllowed: boolean;
}

// Keeps every BSON type as its own class (ObjectId, Decimal128, Binary, Timestamp...) and turns
// int32, double and in-range int64 into JS numbers, which is what mingo compares.
const DESERIALIZE = { promoteBuffers: false, promoteValues: true, promoteLongs: true, useBigInt64: false } as const;

/** The declared length of the frame starting at `buf` (at least 4 bytes), validated. */
export function frameLength(buf: Buffer): number {
  const len = buf.readInt32LE(0);
  if (len < HEADER_BYTES || len > MAX_MESSAGE_BYTES) throw new FrameError(`invalid message length ${len}`);
  return len;
}

export function parseFrame(frame: Buffer): Request {
  const requestId = frame.readInt32LE(4);
  const opCode = frame.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(frame, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(frame, requestId);
  throw new FrameError(`unsupported opCode ${opCode}`);
}

function readDocument(buf: Buffer, offset: number, end: number): [Document, number] {
  if (offset + 5 > end) throw invalidBson('document extends past the end of the message');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw invalidBson(`document size ${size} is out of bounds`);
  try {
    return [deserialize(buf.subarray(offset, offset + size), DESERIALIZE), offset + size];
  } catch (err) {
    throw invalidBson((err as Error).message);
  }
}

function readCString(buf: Buffer, offset: number, end: number): [string, number] {
  const zero = buf.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new FrameError('unterminated C string');
  return [buf.toString('utf8', offset, zero), zero + 1];
}

const invalidBson = (msg: string) => new MongoCommandError(Codes.InvalidBSON, `invalid BSON in message: ${msg}`);

function parseOpMsg(frame: Buffer, requestId: number): Request {
  if (frame.length < HEADER_BYTES + 5) throw new FrameError('OP_MSG too short');
  const flags = frame.readUInt32LE(HEADER_BYTES);
  let end = frame.length;
  if (flags & CHECKSUM_PRESENT) {
    end -= 4;
    if (frame.readUInt32LE(end) !== crc32c(frame.subarray(0, end))) throw new FrameError('OP_MSG checksum mismatch');
  }
  let offset = HEADER_BYTES + 4;
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  while (offset < end) {
    const kind = frame[offset++];
    if (kind === 0) {
      if (body) throw invalidBson('more than one body section');
      [body, offset] = readDocument(frame, offset, end);
    } else if (kind === 1) {
      if (offset + 4 > end) throw new FrameError('truncated document sequence');
      const seqEnd = offset + frame.readInt32LE(offset);
      if (seqEnd > end || seqEnd < offset + 5) throw new FrameError('document sequence out of bounds');
      let id: string;
      [id, offset] = readCString(frame, offset + 4, seqEnd);
      const docs: Document[] = [];
      while (offset < seqEnd) {
        let doc: Document;
        [doc, offset] = readDocument(frame, offset, seqEnd);
        docs.push(doc);
      }
      sequences.push([id, docs]);
    } else {
      throw new FrameError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw invalidBson('OP_MSG has no body section');
  for (const [id, docs] of sequences) body[id] = docs;
  const db = typeof body.$db === 'string' ? body.$db : 'admin';
  return {
    requestId,
    opCode: OP_MSG,
    db,
    command: body,
    moreToCome: (flags & MORE_TO_COME) !== 0,
    exhaustAllowed: (flags & EXHAUST_ALLOWED) !== 0,
  };
}

function parseOpQuery(frame: Buffer, requestId: number): Request {
  let offset = HEADER_BYTES + 4;
  let ns: string;
  [ns, offset] = readCString(frame, offset, frame.length);
  offset += 8; // numberToSkip, numberToReturn
  let query: Document;
  [query, offset] = readDocument(frame, offset, frame.length);
  // Legacy drivers wrap the command when they attach a read preference.
  const command = query.$query && typeof query.$query === 'object' ? query.$query : query;
  const dot = ns.indexOf('.');
  const db = dot > 0 ? ns.slice(0, dot) : ns;
  if (!ns.endsWith('.$cmd')) {
    throw new MongoCommandError(Codes.CommandNotFound, `OP_QUERY is only supported for commands, not on ${ns}`);
  }
  return { requestId, opCode: OP_QUERY, db, command, moreToCome: false, exhaustAllowed: false };
}

let nextRequestId = 1;
const SERIALIZE = { checkKeys: false, ignoreUndefined: true } as const;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** A reply frame; `moreToCome` marks one of a stream of exhaust replies. */
export function encodeReply(request: Pick<Request, 'opCode' | 'requestId'>, doc: Document, moreToCome = false): Buffer {
  const body = serialize(doc, SERIALIZE);
  if (request.opCode === OP_QUERY) {
    const prefix = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
    prefix.writeInt32LE(1, 16);
    const length = HEADER_BYTES + prefix.length + body.length;
    return Buffer.concat([header(length, request.requestId, OP_REPLY), prefix, body]);
  }
  const prefix = Buffer.alloc(5); // flagBits, section kind 0
  if (moreToCome) prefix.writeUInt32LE(MORE_TO_COME, 0);
  const length = HEADER_BYTES + prefix.length + body.length;
  return Buffer.concat([header(length, request.requestId, OP_MSG), prefix, body]);
}
