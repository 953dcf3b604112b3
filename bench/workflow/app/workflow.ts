// The same workflow in keel's architecture: the request commits the order and its event and answers
// 202. The payment and the AI call run as two subscribers of `workflow.order.placed`, in parallel (they
// need nothing from each other); whichever records its result second publishes
// `workflow.order.processed`, whose subscriber sends the notification.
import { Body, Controller, HttpCode, Injectable, Post } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Types, type Connection } from 'mongoose';
import { TransactionRunner } from '../../../src/platform/database/index.js';
import {
  EventPublisher,
  OnEvent,
  Subscriber,
  type DomainEvent,
  type HandlerContext,
} from '../../../src/platform/events/index.js';
import { CurrentUser, type AuthUser } from '../../../src/platform/http/index.js';
import { PlaceOrderDto } from './order.dto.js';
import { WorkflowProviders, type Analysis, type Charge, type OrderInput } from './providers.js';

export const OrderEvents = {
  placed: 'workflow.order.placed',
  processed: 'workflow.order.processed',
} as const;

type Processed = OrderInput & { summary: string };

/**
 * When a step's handler started and when its provider answered (epoch ms), stored with its result:
 * index.ts reads them to break keel's end-to-end time down into hops.
 */
interface Timings {
  startedAt: number;
  answeredAt: number;
}

@Injectable()
export class WorkflowService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
    @InjectConnection() private readonly db: Connection,
  ) {}

  private get orders() {
    return this.db.collection('bench_orders');
  }

  place(user: AuthUser, dto: PlaceOrderDto) {
    return this.tx.run(async (session) => {
      const _id = new Types.ObjectId();
      const order: OrderInput = {
        orderId: _id.toHexString(),
        ref: dto.ref,
        amount: dto.amount,
        currency: dto.currency,
        note: dto.note,
      };
      await this.orders.insertOne(
        {
          _id,
          ...order,
          ownerId: user.id,
          status: 'accepted',
          createdAt: new Date(),
        },
        { session },
      );
      await this.publisher.publish(session, {
        type: OrderEvents.placed,
        aggregateId: order.orderId,
        payload: order,
      });
      return { id: order.orderId, status: 'accepted' };
    });
  }

  /** Records one step's result once; the write that completes the pair publishes `processed`. */
  recordStep(order: OrderInput, step: 'payment' | 'analysis', result: (Charge | Analysis) & Timings): Promise<void> {
    return this.tx.run(async (session) => {
      const doc = await this.orders.findOneAndUpdate(
        { _id: new Types.ObjectId(order.orderId), [step]: { $exists: false } },
        { $set: { [step]: result } },
        { session, returnDocument: 'after' },
      );
      if (doc?.payment && doc.analysis) {
        await this.publisher.publish(session, {
          type: OrderEvents.processed,
          aggregateId: order.orderId,
          payload: { ...order, summary: (doc.analysis as Analysis).summary },
        });
      }
    });
  }

  async complete(order: OrderInput, notification: Timings): Promise<void> {
    await this.orders.updateOne(
      { _id: new Types.ObjectId(order.orderId) },
      { $set: { status: 'completed', notification, completedAt: new Date() } },
    );
  }
}

@Controller('orders')
export class WorkflowController {
  constructor(private readonly workflow: WorkflowService) {}

  @Post()
  @HttpCode(202)
  place(@CurrentUser() user: AuthUser, @Body() dto: PlaceOrderDto) {
    return this.workflow.place(user, dto);
  }
}

@Subscriber('workflow.payments')
@Injectable()
export class PaymentStep {
  constructor(
    private readonly providers: WorkflowProviders,
    private readonly workflow: WorkflowService,
  ) {}

  @OnEvent(OrderEvents.placed, { transaction: false })
  async charge(event: DomainEvent<OrderInput>, ctx: HandlerContext) {
    const startedAt = Date.now();
    const charge = await this.providers.charge(event.payload, ctx.idempotencyKey);
    await this.workflow.recordStep(event.payload, 'payment', {
      ...charge,
      startedAt,
      answeredAt: Date.now(),
    });
  }
}

@Subscriber('workflow.analysis')
@Injectable()
export class AnalysisStep {
  constructor(
    private readonly providers: WorkflowProviders,
    private readonly workflow: WorkflowService,
  ) {}

  @OnEvent(OrderEvents.placed, { transaction: false })
  async analyse(event: DomainEvent<OrderInput>, ctx: HandlerContext) {
    const startedAt = Date.now();
    const analysis = await this.providers.analyse(event.payload, ctx.idempotencyKey);
    await this.workflow.recordStep(event.payload, 'analysis', {
      ...analysis,
      startedAt,
      answeredAt: Date.now(),
    });
  }
}

@Subscriber('workflow.notifications')
@Injectable()
export class NotificationStep {
  constructor(
    private readonly providers: WorkflowProviders,
    private readonly workflow: WorkflowService,
  ) {}

  @OnEvent(OrderEvents.processed, { transaction: false })
  async notify(event: DomainEvent<Processed>, ctx: HandlerContext) {
    const startedAt = Date.now();
    await this.providers.notify(event.payload, event.payload.summary, ctx.idempotencyKey);
    await this.workflow.complete(event.payload, {
      startedAt,
      answeredAt: Date.now(),
    });
  }
}
