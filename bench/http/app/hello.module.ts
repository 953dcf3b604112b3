// The anchor route of bench/http inside keel: public (no token), no body validation, no database, a
// constant answer; everything else (Fastify, keel's global edge: request ids, logging, helmet, CORS,
// rate limits, the problem+json filter, metrics) is what POST /v1/payments also goes through.
import { Controller, HttpCode, Module, Post, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { routesFor, type AppRole } from '../../../src/config/index.js';
import { Public } from '../../../src/platform/http/index.js';

@Controller('hello')
export class HelloController {
  @Public()
  @Post()
  @HttpCode(200)
  hello() {
    return { hello: 'world' };
  }
}

@Module({})
export class BenchHelloModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: BenchHelloModule,
      imports: [RouterModule.register([{ path: 'v1/bench', module: BenchHelloModule }])],
      controllers: routesFor(role, [HelloController]),
    };
  }
}
