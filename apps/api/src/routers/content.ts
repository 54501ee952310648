import {
  createCategory,
  deleteCategory,
  listCategories,
  renameCategory,
  ZCategoryIdInput,
  ZCreateCategoryInput,
  ZListCategoriesInput,
  ZRenameCategoryInput,
} from '@atrium/domain/content/categories';
import {
  createContent,
  deleteContent,
  getContent,
  getMedia,
  listContent,
  publishContent,
  unpublishContent,
  updateContent,
  ZContentIdInput,
  ZCreateContentInput,
  ZGetContentInput,
  ZGetMediaInput,
  ZListContentInput,
  ZUpdateContentInput,
} from '@atrium/domain/content/content';
import { deleteMedia, setMedia, ZMediaContentInput, ZSetMediaInput } from '@atrium/domain/content/media';
import type { ContentDeps } from '@atrium/domain/content/store';
import type { InnerContext } from '../context.ts';
import { maybeSessionProcedure } from '../optional-session.ts';
import { permissionProcedure, router } from '../trpc.ts';

export function contentDeps(ctx: InnerContext): ContentDeps {
  return { db: ctx.services.db, cache: ctx.services.content.cache };
}

const write = permissionProcedure('content.write');
const publish = permissionProcedure('content.publish');
/** Categories are the library's shelves: staff arrange them. */
const staff = permissionProcedure('content.review');

/** `content.*` (SPEC §4, docs/content.md). */
export const contentRouter = router({
  create: write
    .input(ZCreateContentInput)
    .mutation(({ ctx, input }) => createContent(contentDeps(ctx), ctx.session, input)),
  update: write
    .input(ZUpdateContentInput)
    .mutation(({ ctx, input }) => updateContent(contentDeps(ctx), ctx.session, input)),
  delete: write
    .input(ZContentIdInput)
    .mutation(({ ctx, input }) => deleteContent(contentDeps(ctx), ctx.session, input)),
  publish: publish
    .input(ZContentIdInput)
    .mutation(({ ctx, input }) => publishContent(contentDeps(ctx), ctx.session, input)),
  unpublish: publish
    .input(ZContentIdInput)
    .mutation(({ ctx, input }) => unpublishContent(contentDeps(ctx), ctx.session, input)),
  get: maybeSessionProcedure
    .input(ZGetContentInput)
    .query(({ ctx, input }) => getContent(contentDeps(ctx), ctx.session, input)),
  list: maybeSessionProcedure
    .input(ZListContentInput.optional())
    .query(({ ctx, input }) => listContent(contentDeps(ctx), ctx.session, input ?? {})),
});

/** `media.*`: the one media of a content. */
export const mediaRouter = router({
  get: maybeSessionProcedure
    .input(ZGetMediaInput)
    .query(({ ctx, input }) => getMedia(contentDeps(ctx), ctx.session, input)),
  set: write
    .input(ZSetMediaInput)
    .mutation(({ ctx, input }) => setMedia(contentDeps(ctx), ctx.session, input)),
  delete: write
    .input(ZMediaContentInput)
    .mutation(({ ctx, input }) => deleteMedia(contentDeps(ctx), ctx.session, input)),
});

/** `categories.*`. */
export const categoriesRouter = router({
  list: maybeSessionProcedure
    .input(ZListCategoriesInput.optional())
    .query(({ ctx, input }) => listCategories(contentDeps(ctx), ctx.session, input ?? {})),
  create: staff
    .input(ZCreateCategoryInput)
    .mutation(({ ctx, input }) => createCategory(contentDeps(ctx), ctx.session, input)),
  rename: staff
    .input(ZRenameCategoryInput)
    .mutation(({ ctx, input }) => renameCategory(contentDeps(ctx), ctx.session, input)),
  delete: staff
    .input(ZCategoryIdInput)
    .mutation(({ ctx, input }) => deleteCategory(contentDeps(ctx), ctx.session, input)),
});
