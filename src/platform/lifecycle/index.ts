export { LifecycleModule } from './lifecycle.module.js';
export { DrainState } from './drain-state.js';
export { DrainHooks, type DrainHook, type DrainStep } from './drain-hooks.js';
export { HttpConnections } from './http-connections.js';
export { drain, drainOnSignals, drainOptions, type DrainOptions } from './graceful-drain.js';
