import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { register } from 'prom-client';
import { AppConfig } from '../../config/index.js';
import { ClusterGauges } from './cluster-gauges.js';

/**
 * With METRICS_PORT set, `/metrics` is served on that port only (keep it off the public listener and
 * let only Prometheus reach it). It closes last, so Prometheus can scrape a replica while it drains.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly cluster: ClusterGauges,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.METRICS_PORT;
    if (!port) return;
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      Promise.all([register.metrics(), this.cluster.exposition()]).then(
        ([own, cluster]) => res.writeHead(200, { 'Content-Type': register.contentType }).end(own + cluster),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.HOST, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on http://${this.config.HOST}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
