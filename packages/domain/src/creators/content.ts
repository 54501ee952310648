import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { listContent } from '../content/content.ts';
import type { ContentDeps, ContentView } from '../content/store.ts';
import { ZCursorField } from '../platform/input-blocks.ts';
import { validateInput } from '../platform/validate-input.ts';

export const ZMyContentInput = z.object({
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
  status: z.enum(['draft', 'published', 'archived']).optional(),
});
export type MyContentInput = z.input<typeof ZMyContentInput>;

/**
 * `creators.myContent {cursor, limit, status?}`: the caller's own contents, every status, newest
 * change first (the content module's list filtered to the caller as author). Gated on `content.write`.
 */
export async function listMyContent(
  deps: ContentDeps,
  session: Session,
  rawInput: MyContentInput = {},
): Promise<{ items: ContentView[]; nextCursor: string | null }> {
  const input = validateInput(ZMyContentInput, rawInput);
  return listContent(deps, session, { ...input, authorId: session.userId });
}
