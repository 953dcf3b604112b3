import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DeadLetterReplay } from '../dead-letters/dead-letter-replay.js';
import { DeadLetterStore } from '../dead-letters/dead-letter.store.js';
import { DeadLetterFilterDto, ListDeadLettersQuery, PurgeDeadLettersQuery } from './dead-letters.dto.js';

/** Dead-letter administration. Everything under /admin requires the admin role (global guard). */
@ApiTags('admin')
@Controller('admin/dead-letters')
@UsePipes(
  new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
  }),
)
export class DeadLettersController {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly replay: DeadLetterReplay,
  ) {}

  @Get()
  async list(@Query() q: ListDeadLettersQuery) {
    const { items, total } = await this.store.list(q, q.page, q.pageSize);
    return {
      items: items.map(({ _id, ...rest }) => ({ id: _id, ...rest })),
      page: q.page,
      pageSize: q.pageSize,
      total,
    };
  }

  @Get(':id')
  async show(@Param('id') id: string) {
    const dl = await this.store.get(id);
    if (!dl) throw new NotFoundException(`no dead letter '${id}'`);
    const { _id, ...rest } = dl;
    return { id: _id, ...rest };
  }

  @Post('replay')
  @HttpCode(202)
  replayMany(@Body() filter: DeadLetterFilterDto) {
    return this.replay.replayMany(filter ?? {});
  }

  @Post(':id/replay')
  @HttpCode(202)
  async replayOne(@Param('id') id: string) {
    await this.replay.replayOne(id);
    return { replayed: 1 };
  }

  @Delete(':id')
  @HttpCode(204)
  async purgeOne(@Param('id') id: string): Promise<void> {
    if ((await this.store.purge({ id })) === 0) throw new NotFoundException(`no dead letter '${id}'`);
  }

  @Delete()
  async purge(@Query() q: PurgeDeadLettersQuery) {
    if (!q.subscriber && !q.type && !q.all) {
      throw new BadRequestException('give subscriber and/or type, or all=true to purge every dead letter');
    }
    return {
      purged: await this.store.purge({
        subscriber: q.subscriber,
        type: q.type,
      }),
    };
  }
}
