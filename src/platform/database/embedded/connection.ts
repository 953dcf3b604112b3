import type { Socket } from 'node:net';
import type { Document } from 'bson';
import { dispatch, type BaseContext } from './commands/index.js';
import { Codes, MongoCommandError } from './errors.js';
import { encodeReply, HEADER_BYTES, OP_MSG, OP_QUERY, parseFrame, frameLength, type Request } from './wire.js';

export interface Logger {
  warn(msg: string): void;
  error(msg: string): void;
}

/**
 * One client socket: reassembles frames from the byte stream and answers them strictly in order
 * (a driver never pipelines on one connection). Unparseable framing closes the socket; everything
 * else gets a reply document, errors included.
 */
export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly closed = new AbortController();

  constructor(
    private readonly socket: Socket,
    private readonly base: BaseContext,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closed.abort());
  }

  get signal(): AbortSignal {
    return this.closed.signal;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      while (this.buffered >= 4) {
        if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
        const len = frameLength(this.chunks[0]);
        if (this.buffered < len) return;
        const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
        const frame = all.subarray(0, len);
        const rest = all.subarray(len);
        this.chunks = rest.length ? [rest] : [];
        this.buffered = rest.length;
        this.queue = this.queue.then(() => this.handle(frame));
      }
    } catch (err) {
      this.logger.warn(`embedded mongo: closing connection: ${(err as Error).message}`);
      this.destroy();
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    if (this.socket.destroyed) return;
    let request: Request;
    try {
      request = parseFrame(frame);
    } catch (err) {
      if (err instanceof MongoCommandError && frame.length >= HEADER_BYTES) {
        const opCode = frame.readInt32LE(12) === OP_QUERY ? OP_QUERY : OP_MSG;
        this.send({ opCode, requestId: frame.readInt32LE(4) }, err.toReply());
        return;
      }
      this.logger.warn(`embedded mongo: closing connection: ${(err as Error).message}`);
      this.destroy();
      return;
    }
    try {
      if (request.exhaustAllowed && isAwaitableHello(request.command)) {
        await this.stream(request);
        return;
      }
      const reply = await dispatch(
        request.command,
        { ...this.base, db: request.db, signal: this.closed.signal },
        this.logger,
      );
      if (!request.moreToCome) this.send(request, reply);
    } catch (err) {
      // dispatch already turns command errors into replies; this is a last line of defence.
      this.logger.error(`embedded mongo: ${(err as Error)?.stack ?? String(err)}`);
      this.destroy();
    }
  }

  /**
   * The driver's streaming monitor sends one awaitable hello with exhaustAllowed and then expects
   * a reply every maxAwaitTimeMS, each flagged moreToCome and answering the previous one.
   */
  private async stream(request: Request): Promise<void> {
    let responseTo = request.requestId;
    while (!this.socket.destroyed) {
      const reply = await dispatch(
        request.command,
        { ...this.base, db: request.db, signal: this.closed.signal },
        this.logger,
      );
      if (this.socket.destroyed) return;
      const sent = this.send({ opCode: OP_MSG, requestId: responseTo }, reply, true);
      responseTo = sent.readInt32LE(4);
    }
  }

  private send(request: Pick<Request, 'opCode' | 'requestId'>, reply: Document, moreToCome = false): Buffer {
    let bytes: Buffer;
    try {
      bytes = encodeReply(request, reply, moreToCome);
    } catch (err) {
      const error = new MongoCommandError(Codes.InternalError, `could not encode reply: ${(err as Error).message}`);
      bytes = encodeReply(request, error.toReply());
    }
    if (!this.socket.destroyed) this.socket.write(bytes);
    return bytes;
  }
}

function isAwaitableHello(cmd: Document): boolean {
  const name = Object.keys(cmd)[0];
  return (
    (name === 'hello' || name === 'isMaster' || name === 'ismaster') &&
    cmd.topologyVersion !== undefined &&
    Number(cmd.maxAwaitTimeMS) > 0
  );
}
