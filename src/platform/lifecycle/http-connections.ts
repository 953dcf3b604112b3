import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { DrainState } from './drain-state.js';

/**
 * Nest's SSE stream sends its headers with `writeHead(status, headers)`, which `getHeader()` does not
 * see; the serialized head Node keeps once it is sent does.
 */
function isEventStream(res: ServerResponse): boolean {
  const head = (res as unknown as { _header?: unknown })._header;
  return typeof head === 'string' && /^content-type:\s*text\/event-stream/im.test(head);
}

/**
 * Watches the raw HTTP server: tracks in-flight responses for the drain, and once draining has begun
 * answers with `Connection: close` so keep-alive clients (a load balancer's pooled connections
 * included) open their next connection to a replica that is still ready.
 */
@Injectable()
export class HttpConnections implements OnApplicationBootstrap {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly drain: DrainState,
  ) {}

  get active(): number {
    return this.open.size;
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    server?.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      this.open.add(res);
      res.once('close', () => this.open.delete(res));
      if (this.drain.draining) res.setHeader('Connection', 'close');
    });
  }

  /**
   * Ends the SSE responses still open: streams should end themselves on `DrainState.streamsSignal`;
   * this is the backstop for one that does not, so it cannot hold the drain until the bound. Ending the
   * response (rather than destroying the socket) lets the client see a clean end and reconnect elsewhere.
   */
  endEventStreams(): number {
    let ended = 0;
    for (const res of this.open) {
      if (!res.writableEnded && isEventStream(res)) {
        res.end();
        ended++;
      }
    }
    return ended;
  }
}
