import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * The content module's outbox events (SPEC §4). Aggregate `content` + the content id, so the relay
 * keeps one content's events in order. Payloads carry the id and the version the write produced;
 * consumers read the row for anything else (the indexer always does: docs/content.md).
 */
export const CONTENT_AGGREGATE = 'content';

const changed = z.object({ contentId: z.uuid(), version: z.number().int().min(1) });

export const ContentCreated = defineEvent('ContentCreated', changed);
/** Fields, media or categories changed. */
export const ContentUpdated = defineEvent('ContentUpdated', changed);
export const ContentPublished = defineEvent('ContentPublished', changed);
export const ContentUnpublished = defineEvent('ContentUnpublished', changed);
export const ContentDeleted = defineEvent('ContentDeleted', changed);

/** Every event the search indexer follows. */
export const CONTENT_EVENTS = [
  ContentCreated,
  ContentUpdated,
  ContentPublished,
  ContentUnpublished,
  ContentDeleted,
] as const;
