import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model } from 'mongoose';
import { OwnedRepository, type OwnedDocument, type OwnedFilter, type Owner } from '../../platform/http/index.js';
import { MEMBER_MODEL, type Member } from './schemas/member.schema.js';

export type MemberDoc = OwnedDocument<Member>;

/** Memberships, always scoped to their owner: a user reaches a conversation only through their own. */
@Injectable()
export class MembersRepository extends OwnedRepository<Member> implements OnModuleInit {
  constructor(@InjectModel(MEMBER_MODEL) private readonly members: Model<Member>) {
    super(members);
  }

  async onModuleInit(): Promise<void> {
    await this.members.createIndexes();
  }

  of(owner: Owner, conversationId: string): Promise<MemberDoc | null> {
    return this.findOne(owner, { conversationId } as OwnedFilter<Member>);
  }

  ofMany(owner: Owner, conversationIds: string[]): Promise<MemberDoc[]> {
    return this.find(owner, { conversationId: { $in: conversationIds } } as OwnedFilter<Member>);
  }

  /** The memberships of a new conversation, one per participant (each owned by that participant). */
  async addAll(conversationId: string, userIds: string[], session: ClientSession): Promise<void> {
    const joinedAt = new Date();
    await this.members.insertMany(
      userIds.map((ownerId) => ({ ownerId, conversationId, lastReadSeq: 0, joinedAt })),
      { session },
    );
  }

  /** The owner's membership, created if missing (their notifications conversation). */
  async ensure(owner: Owner, conversationId: string, session: ClientSession): Promise<void> {
    await this.members.updateOne(
      this.scope(owner, { conversationId } as OwnedFilter<Member>),
      { $setOnInsert: { lastReadSeq: 0, joinedAt: new Date() } },
      { upsert: true, session },
    );
  }

  /** Moves the read position forward to `upTo`; null when it already was there or further. */
  advanceRead(owner: Owner, conversationId: string, upTo: number): Promise<MemberDoc | null> {
    return this.members
      .findOneAndUpdate(
        this.scope(owner, { conversationId, lastReadSeq: { $lt: upTo } } as OwnedFilter<Member>),
        { $set: { lastReadSeq: upTo } },
        { returnDocument: 'after' },
      )
      .lean<MemberDoc>()
      .exec();
  }
}
