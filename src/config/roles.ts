import type { Type } from '@nestjs/common';
import type { AppRole } from './env.schema.js';

/** What a process of the given role runs: HTTP feature routes, and/or processors and crons. */
export function roleRuns(role: AppRole): { http: boolean; workers: boolean } {
  return { http: role !== 'worker', workers: role !== 'api' };
}

/**
 * The controllers a feature module mounts in this role. The worker role serves only health and
 * metrics, so a feature's `forRole(role)` passes its controllers through here.
 */
export function routesFor(role: AppRole, controllers: Type[]): Type[] {
  return roleRuns(role).http ? controllers : [];
}
