// The "before" architecture: the request calls the payment provider, the AI provider and the
// notification webhook one after the other and answers once all three are done. Same stack as keel
// (NestJS on Fastify, keel's HTTP edge, MongoDB), same providers, same request.
import { Body, Controller, HttpCode, Injectable, Post } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Types, type Connection } from 'mongoose';
import { CurrentUser, type AuthUser } from '../../../src/platform/http/index.js';
import { PlaceOrderDto } from './order.dto.js';
import { WorkflowProviders, type OrderInput } from './providers.js';

@Injectable()
export class ChainService {
  constructor(
    @InjectConnection() private readonly db: Connection,
    private readonly providers: WorkflowProviders,
  ) {}

  async place(user: AuthUser, dto: PlaceOrderDto) {
    const _id = new Types.ObjectId();
    const orders = this.db.collection('bench_chain_orders');
    const order: OrderInput = {
      orderId: _id.toHexString(),
      ref: dto.ref,
      amount: dto.amount,
      currency: dto.currency,
      note: dto.note,
    };
    await orders.insertOne({
      _id,
      ...order,
      ownerId: user.id,
      status: 'processing',
      createdAt: new Date(),
    });
    const key = `order-${order.orderId}`;
    const payment = await this.providers.charge(order, `${key}-charge`);
    const analysis = await this.providers.analyse(order, `${key}-analysis`);
    await this.providers.notify(order, analysis.summary, `${key}-notify`);
    await orders.updateOne(
      { _id },
      {
        $set: {
          payment,
          analysis,
          status: 'completed',
          completedAt: new Date(),
        },
      },
    );
    return {
      id: order.orderId,
      status: 'completed',
      chargeId: payment.id,
      summary: analysis.summary,
    };
  }
}

@Controller('chain-orders')
export class ChainController {
  constructor(private readonly chain: ChainService) {}

  @Post()
  @HttpCode(201)
  place(@CurrentUser() user: AuthUser, @Body() dto: PlaceOrderDto) {
    return this.chain.place(user, dto);
  }
}
