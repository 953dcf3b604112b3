export const CONVERSATION_KINDS = ['group', 'notifications'] as const;
/** `group`: created by a user; `notifications`: one per user, keel writes notifications into it. */
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];
