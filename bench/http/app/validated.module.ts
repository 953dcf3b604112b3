// A layer of bench/http between the hello and POST /v1/payments: the same bearer token and the same
// CreatePaymentDto validation as POST /v1/payments, then a constant 202, with no database and no event.
// What POST /v1/payments costs beyond it is its transaction (payment + outbox) and the relay.
import { Body, Controller, HttpCode, Module, Post, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { routesFor, type AppRole } from '../../../src/config/index.js';
import { CreatePaymentDto } from '../../../src/features/payments/dto/create-payment.dto.js';
import { CurrentUser, type AuthUser } from '../../../src/platform/http/index.js';

@Controller('validated')
export class ValidatedController {
  @Post()
  @HttpCode(202)
  accept(@CurrentUser() user: AuthUser, @Body() dto: CreatePaymentDto) {
    return { owner: user.id, amount: dto.amount, status: 'processing' };
  }
}

@Module({})
export class BenchValidatedModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: BenchValidatedModule,
      imports: [RouterModule.register([{ path: 'v1/bench', module: BenchValidatedModule }])],
      controllers: routesFor(role, [ValidatedController]),
    };
  }
}
