import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { validateInput } from '../platform/validate-input.ts';

export const ZMyContentInput = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type MyContentInput = z.input<typeof ZMyContentInput>;

/** One piece of the creator's content (SPEC §4 fills this in). */
export interface MyContentItem {
  id: string;
  title: string;
  status: string;
  updatedAt: Date;
}

/**
 * `creators.myContent {cursor, limit}`: the caller's own content, for the creator's workspace. The
 * content module (SPEC §4) does not exist yet, so the list is empty — but the procedure is real and
 * gated on `content.write`, the permission the `creator` role grants (SPEC §1), which is what the
 * creator flow proves: a freshly approved creator passes this gate without signing in again.
 */
export async function listMyContent(
  _session: Session,
  rawInput: MyContentInput = {},
): Promise<{ items: MyContentItem[]; nextCursor: string | null }> {
  validateInput(ZMyContentInput, rawInput);
  return { items: [], nextCursor: null };
}
