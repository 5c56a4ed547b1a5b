import { z } from 'zod';

/**
 * The event a sender posts when an upload ends, related to the file event (docs/PROTOCOL.md §7).
 *
 * MSC4016 posts the file event before the first byte is uploaded, so a receiver cannot learn from it
 * how the upload ended, and AES-GCM alone does not commit to a key (a sender could give two
 * receivers keys that decrypt the same ciphertext differently). The outcome event says "completed"
 * with the plaintext size and the SHA-256 of the whole ciphertext — which receivers compare with what
 * they downloaded before calling the file complete — or "cancelled", so they stop waiting.
 */
export const TRANSFER_OUTCOME_EVENT_TYPE = 'io.slipstream.transfer.outcome';

/** Set in a file event's content by a sender that will post an outcome event for it. */
export const OUTCOME_FOLLOWS_KEY = 'io.slipstream.outcome_follows';

/** Unpadded standard base64 of 32 bytes (the spec's `hashes.sha256` encoding). */
const sha256Schema = z.string().regex(/^[A-Za-z0-9+/]{43}$/, 'is not an unpadded base64 SHA-256');

/** How a transfer ended, as the engine takes it (from the outcome event, or the receiver's own view). */
export const transferOutcomeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('completed'),
    /** The file's size in bytes (plaintext). */
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    /** SHA-256 of the whole ciphertext as uploaded, unpadded base64. */
    ciphertextSha256: sha256Schema,
  }),
  z.strictObject({ kind: z.literal('cancelled') }),
]);
export type TransferOutcome = z.infer<typeof transferOutcomeSchema>;

/** The outcome event's content on the wire. */
export const transferOutcomeContentSchema = z.looseObject({
  'm.relates_to': z.looseObject({ rel_type: z.literal('m.reference'), event_id: z.string().regex(/^\$\S+$/) }),
  outcome: z.enum(['completed', 'cancelled']),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  ciphertext_sha256: sha256Schema.optional(),
});
export type TransferOutcomeContent = z.infer<typeof transferOutcomeContentSchema>;

/** The content to post for `fileEventId`'s outcome. */
export function transferOutcomeContent(fileEventId: string, outcome: TransferOutcome): TransferOutcomeContent {
  const relation = { 'm.relates_to': { rel_type: 'm.reference' as const, event_id: fileEventId } };
  if (outcome.kind === 'cancelled') return { ...relation, outcome: 'cancelled' };
  return { ...relation, outcome: 'completed', size: outcome.size, ciphertext_sha256: outcome.ciphertextSha256 };
}

/**
 * Reads an outcome event's content; undefined when it is not one (a completed outcome without its
 * size and hash is not one either: a receiver must never complete on it).
 */
export function parseTransferOutcome(
  content: unknown,
): { readonly fileEventId: string; readonly outcome: TransferOutcome } | undefined {
  const parsed = transferOutcomeContentSchema.safeParse(content);
  if (!parsed.success) return undefined;
  const { outcome, size, ciphertext_sha256: ciphertextSha256 } = parsed.data;
  const fileEventId = parsed.data['m.relates_to'].event_id;
  if (outcome === 'cancelled') return { fileEventId, outcome: { kind: 'cancelled' } };
  if (size === undefined || ciphertextSha256 === undefined) return undefined;
  return { fileEventId, outcome: { kind: 'completed', size, ciphertextSha256 } };
}
