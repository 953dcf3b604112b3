import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DeadLetterStore } from '../events/index.js';
import { TokenVerifier } from '../http/index.js';
import { QueueCatalog } from '../metrics/index.js';
import { requireAdmin } from './admin-guard.js';
import { DeadLetterBoardAdapter } from './dead-letter-board.adapter.js';

export const BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues over every BullMQ queue in the catalog, plus the dead letters (kept in
 * MongoDB) as a read-only queue of failed jobs. Its routes are Fastify routes Nest
 * does not own, so the global auth guard never sees them: an onRequest hook in their own plugin scope
 * requires an admin bearer token, exactly as `/admin/*` Nest routes do.
 */
@Injectable()
export class BullBoard implements OnApplicationBootstrap {
  private readonly logger = new Logger('BullBoard');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly catalog: QueueCatalog,
    private readonly verifier: TokenVerifier,
    @Optional() private readonly deadLetters?: DeadLetterStore,
  ) {}

  onApplicationBootstrap(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const queues = this.catalog.all();
    const server = new FastifyAdapter().setBasePath(BOARD_PATH);
    createBullBoard({
      queues: [
        ...queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false, allowRetries: true })),
        ...(this.deadLetters ? [new DeadLetterBoardAdapter(this.deadLetters)] : []),
      ],
      // @bull-board/fastify pins a patch-older @bull-board/api; the adapter contract is the same.
      serverAdapter: server as unknown as IServerAdapter,
      options: { uiConfig: { boardTitle: 'keel' } },
    });
    const authHook = requireAdmin(this.verifier);
    void fastify.register(
      async (scope) => {
        scope.addHook('onRequest', authHook);
        await scope.register(server.registerPlugin());
      },
      { prefix: BOARD_PATH },
    );
    this.logger.log(`Bull Board at ${BOARD_PATH} over ${queues.length} queue(s)`);
  }
}
