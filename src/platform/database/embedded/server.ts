import net, { type AddressInfo } from 'node:net';
import { ObjectId } from 'bson';
import { Connection, type Logger } from './connection.js';
import { Engine } from './storage/engine.js';
import type { ScanStats } from './storage/collection.js';

export interface EmbeddedMongoOptions {
  port?: number;
  host?: string;
  logger?: { warn(msg: string): void; error(msg: string): void };
}

const SET_NAME = 'rs0';
/** How long a plain write waits for a transaction holding its documents (MongoDB waits too). */
const MAX_WAIT_MS = 60_000;

const consoleLogger: Logger = {
  warn: (msg) => console.warn(msg),
  error: (msg) => console.error(msg),
};

/**
 * An in-memory MongoDB-compatible server speaking the wire protocol, presented as the primary of a
 * single-node replica set so that drivers allow sessions and transactions.
 */
export class EmbeddedMongoServer {
  private readonly connections = new Set<Connection>();
  private readonly processId = new ObjectId();
  private nextConnectionId = 1;
  private stopping?: Promise<void>;

  private constructor(
    private readonly server: net.Server,
    private readonly host: string,
    readonly port: number,
    private readonly engine: Engine,
    private readonly logger: Logger,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => logger.error(`embedded mongo: listener error: ${err.message}`));
  }

  static async start(opts: EmbeddedMongoOptions = {}): Promise<EmbeddedMongoServer> {
    const host = opts.host ?? '127.0.0.1';
    const logger = opts.logger ?? consoleLogger;
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const engine = new Engine((msg) => logger.error(msg));
    return new EmbeddedMongoServer(server, host, port, engine, logger);
  }

  private get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  uri(dbName = ''): string {
    return `mongodb://${this.address}/${dbName}?replicaSet=${SET_NAME}&directConnection=true`;
  }

  /** Cuts every client socket at once, as a crashed or restarted server would. */
  dropAllConnections(): void {
    for (const conn of this.connections) conn.destroy();
  }

  /** Documents and index keys examined by queries on one collection so far (for tests and benchmarks). */
  stats(db: string, collection: string): ScanStats | undefined {
    const coll = this.engine.collection(db, collection);
    return coll ? { ...coll.stats } : undefined;
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.dropAllConnections();
      this.engine.close();
    });
    return this.stopping;
  }

  private accept(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection = new Connection(
      socket,
      {
        engine: this.engine,
        db: 'admin',
        maxWaitMs: MAX_WAIT_MS,
        server: {
          address: this.address,
          setName: SET_NAME,
          processId: this.processId,
          connectionId: this.nextConnectionId++,
          peer: `${socket.remoteAddress}:${socket.remotePort}`,
          openConnections: () => this.connections.size,
        },
      },
      this.logger,
    );
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }
}
