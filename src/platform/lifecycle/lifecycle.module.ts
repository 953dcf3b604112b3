import { Global, Module } from '@nestjs/common';
import { DrainHooks } from './drain-hooks.js';
import { DrainState } from './drain-state.js';
import { EventBusDrain } from './event-bus-drain.js';
import { HttpConnections } from './http-connections.js';

@Global()
@Module({
  providers: [DrainState, DrainHooks, HttpConnections, EventBusDrain],
  exports: [DrainState, DrainHooks, HttpConnections],
})
export class LifecycleModule {}
