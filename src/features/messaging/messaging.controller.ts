import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  Sse,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { CurrentUser, ParseObjectIdPipe, type AuthUser } from '../../platform/http/index.js';
import { ConversationDto, ConversationPageDto } from './dto/conversation.dto.js';
import { CreateConversationDto } from './dto/create-conversation.dto.js';
import { MarkReadDto } from './dto/mark-read.dto.js';
import { MessageDto, MessagePageDto, ReadStateDto } from './dto/message.dto.js';
import { PageQuery, StreamQuery } from './dto/page.query.js';
import { PostMessageDto } from './dto/post-message.dto.js';
import { ConversationStream } from './live/conversation-stream.js';
import { StreamAccessGuard, StreamFrom } from './live/stream-access.guard.js';
import { MessagePosting } from './message-posting.service.js';
import { MessagingService } from './messaging.service.js';

const Id = () => Param('id', ParseObjectIdPipe);

@ApiTags('messaging')
@Controller()
export class MessagingController {
  constructor(
    private readonly conversations: MessagingService,
    private readonly posting: MessagePosting,
    private readonly streams: ConversationStream,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Start a conversation',
    description: 'The caller is always a participant. Answers 201 once it is stored.',
  })
  @ApiCreatedResponse({ type: ConversationDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateConversationDto): Promise<ConversationDto> {
    return this.conversations.create(user, dto);
  }

  @Get()
  @ApiOperation({
    summary: "The caller's conversations, most recently active first",
    description:
      'Each with its last message (preview) and the number of messages after the read position written by others. The notifications conversation is one of them.',
  })
  @ApiOkResponse({ type: ConversationPageDto })
  list(@CurrentUser() user: AuthUser, @Query() query: PageQuery): Promise<ConversationPageDto> {
    return this.conversations.list(user, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One conversation of the caller' })
  @ApiOkResponse({ type: ConversationDto })
  get(@CurrentUser() user: AuthUser, @Id() id: string): Promise<ConversationDto> {
    return this.conversations.get(user, id);
  }

  @Post(':id/messages')
  @ApiOperation({
    summary: 'Post a message',
    description:
      'Stored at once (201) with the next seq of the conversation, then delivered live to every open stream. The same clientMessageId again answers the message already stored (with `Idempotent-Replayed: true`); used for a different message it answers 409. 422 on the notifications conversation, which is read-only.',
  })
  @ApiCreatedResponse({ type: MessageDto })
  async post(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Body() dto: PostMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageDto> {
    const { message, replayed } = await this.posting.post(user, id, dto);
    if (replayed) reply.header('Idempotent-Replayed', 'true');
    return message;
  }

  @Get(':id/messages')
  @ApiOperation({
    summary: "The conversation's messages, newest first",
    description: '`nextCursor` pages towards older messages.',
  })
  @ApiOkResponse({ type: MessagePageDto })
  messages(@CurrentUser() user: AuthUser, @Id() id: string, @Query() query: PageQuery): Promise<MessagePageDto> {
    return this.conversations.messagesOf(user, id, query);
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mark messages read up to a seq',
    description:
      "Moves the caller's read position forward (never back) and sends a `read` event to the conversation's streams. 422 if upTo is beyond the newest message.",
  })
  @ApiOkResponse({ type: ReadStateDto })
  read(@CurrentUser() user: AuthUser, @Id() id: string, @Body() dto: MarkReadDto): Promise<ReadStateDto> {
    return this.conversations.markRead(user, id, dto.upTo);
  }

  @Sse(':id/stream')
  @UseGuards(StreamAccessGuard)
  @ApiOperation({
    summary: 'Follow the conversation live (server-sent events)',
    description:
      '`message` events (`id` = the message seq, data = the message) in seq order without gaps, from whichever replica stored them; `read` events (data `{userId, lastReadSeq, at}`, `id` = the seq of the last message event before it) when a participant reads; they are not replayed. Reconnect with `Last-Event-ID` (or `?after=`) to get every message after it first; without either the stream starts after the newest message. The stream ends when the server drains: reconnect.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The seq of the last message event received.' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of `message` and `read` events', schema: { type: 'string' } })
  // StreamAccessGuard checked access and decided the start; `query` is validated for the document.
  stream(@Id() id: string, @Query() _query: StreamQuery, @StreamFrom() from: number): Observable<MessageEvent> {
    return this.streams.open(id, from);
  }
}
