import { isValidObjectId, type ClientSession, type Model, type QueryFilter, Types, type UpdateQuery } from 'mongoose';

/** Whose data a query touches. An AuthUser is one; so is `{ id: event.actorId }` in an event handler. */
export interface Owner {
  readonly id: string;
}

/** Documents a user owns carry the owner's id; the repository sets and filters it, callers never do. */
export interface OwnedFields {
  ownerId: string;
}

/** A filter without `ownerId`: the owner comes from the first argument, so it cannot be left out or widened. */
export type OwnedFilter<T> = Omit<QueryFilter<T>, 'ownerId'> & {
  ownerId?: never;
};
export type OwnedDocument<T> = T & { _id: Types.ObjectId };
export type NewOwned<T> = Omit<T, 'ownerId'>;

export interface FindOptions {
  sort?: Record<string, 1 | -1>;
  limit?: number;
  skip?: number;
}

export interface WriteOptions {
  session?: ClientSession;
}

/**
 * Base class of a feature repository for user-owned documents. Every read and write takes the owner
 * first and is scoped to it, so "another user's document" simply does not exist (callers answer 404).
 * The model stays private: a subclass cannot run an unscoped query by accident.
 */
export abstract class OwnedRepository<T extends OwnedFields> {
  protected constructor(private readonly model: Model<T>) {}

  async create(owner: Owner, data: NewOwned<T>, options: WriteOptions = {}): Promise<OwnedDocument<T>> {
    const doc = new this.model({ ...data, ownerId: ownerIdOf(owner) });
    await doc.save({ session: options.session });
    return doc.toObject() as unknown as OwnedDocument<T>;
  }

  /**
   * Inserts `data` as given, through the driver: no Mongoose document, so no casting, defaults or schema
   * validation (a hot write path's caller builds the complete, already validated document). The owner,
   * the id and, when the schema keeps them, the timestamps are still stamped here; undefined fields are
   * left out, as Mongoose would.
   */
  protected async insertComplete(
    owner: Owner,
    data: NewOwned<T>,
    options: WriteOptions = {},
  ): Promise<OwnedDocument<T>> {
    return (await this.insertCompleteMany([{ owner, data }], options))[0]!;
  }

  /** `insertComplete` of several documents, each with its owner, in one insertMany. */
  protected async insertCompleteMany(
    items: ReadonlyArray<{ owner: Owner; data: NewOwned<T> }>,
    options: WriteOptions = {},
  ): Promise<Array<OwnedDocument<T>>> {
    const timestamps = Boolean(this.model.schema.get('timestamps'));
    const now = new Date();
    const docs = items.map(({ owner, data }) => {
      const doc: Record<string, unknown> = { _id: new Types.ObjectId() };
      for (const [k, v] of Object.entries(data)) if (v !== undefined) doc[k] = v;
      doc.ownerId = ownerIdOf(owner);
      if (timestamps) {
        doc.createdAt = now;
        doc.updatedAt = now;
      }
      return doc;
    });
    // insertOne for one: the driver's bulk-write path costs several times more.
    if (docs.length === 1) await this.model.collection.insertOne(docs[0]!, { session: options.session });
    else await this.model.collection.insertMany(docs, { session: options.session });
    return docs as unknown as Array<OwnedDocument<T>>;
  }

  async findById(owner: Owner, id: string): Promise<OwnedDocument<T> | null> {
    if (!isValidObjectId(id)) return null;
    return this.findOne(owner, { _id: id } as OwnedFilter<T>);
  }

  async findOne(owner: Owner, filter: OwnedFilter<T>): Promise<OwnedDocument<T> | null> {
    return this.model.findOne(this.scope(owner, filter)).lean<OwnedDocument<T>>().exec();
  }

  async find(
    owner: Owner,
    filter: OwnedFilter<T> = {} as OwnedFilter<T>,
    options: FindOptions = {},
  ): Promise<OwnedDocument<T>[]> {
    const query = this.model.find(this.scope(owner, filter));
    if (options.sort) query.sort(options.sort);
    if (options.skip) query.skip(options.skip);
    if (options.limit) query.limit(options.limit);
    return query.lean<OwnedDocument<T>[]>().exec();
  }

  async count(owner: Owner, filter: OwnedFilter<T> = {} as OwnedFilter<T>): Promise<number> {
    return this.model.countDocuments(this.scope(owner, filter)).exec();
  }

  /** Applies `update` to the owner's document and returns the new version, or null if the owner has none. */
  async updateById(
    owner: Owner,
    id: string,
    update: UpdateQuery<T>,
    options: WriteOptions = {},
  ): Promise<OwnedDocument<T> | null> {
    if (!isValidObjectId(id)) return null;
    if (JSON.stringify(update).includes('"ownerId"')) throw new Error('OwnedRepository: ownerId cannot be updated');
    return this.model
      .findOneAndUpdate(this.scope(owner, { _id: id } as OwnedFilter<T>), update, {
        new: true,
        session: options.session,
      })
      .lean<OwnedDocument<T>>()
      .exec();
  }

  async deleteById(owner: Owner, id: string, options: WriteOptions = {}): Promise<boolean> {
    if (!isValidObjectId(id)) return false;
    const result = await this.model
      .deleteOne(this.scope(owner, { _id: id } as OwnedFilter<T>), {
        session: options.session,
      })
      .exec();
    return result.deletedCount === 1;
  }

  /** The owner-scoped filter, for subclasses that need a query the base does not offer. */
  protected scope(owner: Owner, filter: OwnedFilter<T>): QueryFilter<T> {
    // ownerId goes last so that nothing in `filter` (even cast to any) can replace it.
    return { ...filter, ownerId: ownerIdOf(owner) } as QueryFilter<T>;
  }
}

function ownerIdOf(owner: Owner): string {
  if (!owner || typeof owner.id !== 'string' || owner.id.length === 0) {
    throw new Error('OwnedRepository: an owner id is required');
  }
  return owner.id;
}
