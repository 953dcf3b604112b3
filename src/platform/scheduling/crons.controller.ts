import { Controller, DefaultValuePipe, Get, NotFoundException, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CronRegistry } from './cron-registry.js';
import { CronSignals } from './cron.signals.js';
import { RunLedger } from './run-ledger.js';

/** Exclusive crons and their recent runs. Everything under /admin requires the admin role (global guard). */
@ApiTags('admin')
@Controller('admin/crons')
export class CronsController {
  constructor(
    private readonly registry: CronRegistry,
    private readonly ledger: RunLedger,
    private readonly signals: CronSignals,
  ) {}

  @Get()
  list() {
    return [...this.registry.definitions.values()].map((d) => ({
      name: d.name,
      expression: d.expression,
      leaseMs: d.leaseMs,
      counters: this.signals.counters.get(d.name) ?? {},
    }));
  }

  @Get(':name/runs')
  async runs(@Param('name') name: string, @Query('limit', new DefaultValuePipe(20), ParseIntPipe) limit: number) {
    if (!this.registry.definitions.has(name)) throw new NotFoundException(`no exclusive cron '${name}'`);
    const runs = await this.ledger.recent(name, Math.min(Math.max(limit, 1), 500));
    return runs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }
}
