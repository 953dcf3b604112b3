import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { InjectModel, MongooseModule, Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { TransactionRunner } from '../../src/platform/database/index.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';

@Schema({ collection: 'tx_items' })
class Item {
  @Prop({ required: true, unique: true }) name: string;
}
const ItemSchema = SchemaFactory.createForClass(Item);

@Injectable()
class ItemWriter {
  constructor(
    @InjectModel(Item.name) readonly items: Model<Item>,
    readonly tx: TransactionRunner,
  ) {}
}

@Module({
  imports: [MongooseModule.forFeature([{ name: Item.name, schema: ItemSchema }])],
  providers: [ItemWriter],
})
class ItemFeature {}

describe('TransactionRunner', () => {
  let app: RunningApp;
  let w: ItemWriter;
  beforeAll(async () => {
    app = await bootInProcess('txrunner', {}, [(): DynamicModule => ({ module: ItemFeature })]);
    w = app.app.get(ItemWriter);
    await w.items.createCollection();
    await w.items.syncIndexes();
  });
  afterAll(() => app.close());

  it('commits every write of the unit of work together', async () => {
    await w.tx.run(async (session) => {
      await w.items.create([{ name: 'a' }], { session });
      await w.items.create([{ name: 'b' }], { session });
    });
    expect(await w.items.countDocuments({ name: { $in: ['a', 'b'] } })).toBe(2);
  });

  it('keeps nothing when the work throws, and rethrows', async () => {
    await expect(
      w.tx.run(async (session) => {
        await w.items.create([{ name: 'c' }], { session });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await w.items.countDocuments({ name: 'c' })).toBe(0);
  });

  it('rolls back earlier writes when a later one violates a unique index', async () => {
    await expect(
      w.tx.run(async (session) => {
        await w.items.create([{ name: 'd' }], { session });
        await w.items.create([{ name: 'a' }], { session });
      }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(await w.items.countDocuments({ name: 'd' })).toBe(0);
  });

  it('hides uncommitted writes from other readers', async () => {
    let seenOutside = -1;
    await w.tx.run(async (session) => {
      await w.items.create([{ name: 'e' }], { session });
      seenOutside = await w.items.countDocuments({ name: 'e' });
    });
    expect(seenOutside).toBe(0);
    expect(await w.items.countDocuments({ name: 'e' })).toBe(1);
  });
});
