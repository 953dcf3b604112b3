import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { QueueCatalog } from './queue-catalog.js';

/** Global so Bull Board (admin-ui) reads the same catalog the metrics do. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [QueueCatalog],
  exports: [QueueCatalog],
})
export class QueueCatalogModule {}
