import { isValidObjectId } from 'mongoose';
import { ProblemException } from '../../platform/http/index.js';
import type { ConversationCursor } from './conversations.repository.js';

/** Opaque page cursors: base64url JSON. A cursor this API did not return answers 400 naming `cursor`. */
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(cursor: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object') return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw invalid();
}

const invalid = () => ProblemException.validation([{ field: 'cursor', message: 'is not a cursor this API returned' }]);

export function encodeConversationCursor(c: ConversationCursor): string {
  return encode({ at: c.at.getTime(), id: c.id });
}

export function decodeConversationCursor(cursor: string): ConversationCursor {
  const { at, id } = decode(cursor);
  if (
    typeof at !== 'number' ||
    !Number.isSafeInteger(at) ||
    typeof id !== 'string' ||
    !/^[0-9a-f]{24}$/.test(id) ||
    !isValidObjectId(id)
  ) {
    throw invalid();
  }
  return { at: new Date(at), id };
}

export function encodeMessageCursor(beforeSeq: number): string {
  return encode({ before: beforeSeq });
}

export function decodeMessageCursor(cursor: string): number {
  const { before } = decode(cursor);
  if (typeof before !== 'number' || !Number.isSafeInteger(before) || before < 1) throw invalid();
  return before;
}
