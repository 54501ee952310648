import type { AssetKind, DatasetItemType } from '@atrium/db';
import { z } from 'zod';

/**
 * The four item types of a dataset (SPEC §5), each with the zod schema of its manifest payload. A
 * payload names assets by id (uploaded to the draft through `ingest.requestUploads`); `assetRefs`
 * lists which ids an item uses and what kind each must be, so publish can check them all in storage.
 * Annotations (a video's timeline, an audio's captions) travel in the payload and are stored in
 * `annotations` under their own schema (`timeline_v1`, `captions_v1`).
 */

export const DATASET_ITEM_TYPES = [
  'image_pair_compare',
  'image_ranked_gallery',
  'video_with_timeline',
  'audio_with_captions',
] as const satisfies readonly DatasetItemType[];

const ZLabel = z.string().trim().min(1).max(200);
const ZSeconds = z
  .number()
  .finite()
  .min(0)
  .max(7 * 24 * 3600);

export const ZImagePairComparePayload = z.strictObject({
  beforeAssetId: z.uuid(),
  afterAssetId: z.uuid(),
  beforeLabel: ZLabel.optional(),
  afterLabel: ZLabel.optional(),
});

export const ZImageRankedGalleryPayload = z
  .strictObject({
    images: z
      .array(
        z.strictObject({
          assetId: z.uuid(),
          rank: z.number().int().min(1).max(10_000),
          score: z.number().finite().optional(),
          caption: z.string().trim().max(500).optional(),
        }),
      )
      .min(2, { error: 'A ranked gallery has at least 2 images' })
      .max(100, { error: 'A ranked gallery has at most 100 images' }),
  })
  .superRefine((payload, ctx) => {
    const seen = new Set<number>();
    payload.images.forEach((image, index) => {
      if (seen.has(image.rank))
        ctx.addIssue({
          code: 'custom',
          path: ['images', index, 'rank'],
          message: `Rank ${image.rank} is used twice`,
        });
      seen.add(image.rank);
    });
  });

/** timeline_v1: moments of a video, each a point or a span, with a label. */
export const ZTimelineV1 = z
  .array(
    z
      .strictObject({ atSeconds: ZSeconds, endSeconds: ZSeconds.optional(), label: ZLabel })
      .refine((entry) => entry.endSeconds === undefined || entry.endSeconds >= entry.atSeconds, {
        error: 'The end comes before the start',
        path: ['endSeconds'],
      }),
  )
  .max(2_000);

export const ZVideoWithTimelinePayload = z.strictObject({
  videoAssetId: z.uuid(),
  posterAssetId: z.uuid().optional(),
  timeline: ZTimelineV1,
});

/** captions_v1: cues of an audio track, in time order, not overlapping. */
export const ZCaptionsV1 = z
  .array(
    z
      .strictObject({
        startSeconds: ZSeconds,
        endSeconds: ZSeconds,
        text: z.string().trim().min(1).max(1_000),
      })
      .refine((cue) => cue.endSeconds > cue.startSeconds, {
        error: 'A caption ends after it starts',
        path: ['endSeconds'],
      }),
  )
  .max(5_000)
  .superRefine((cues, ctx) => {
    for (let i = 1; i < cues.length; i += 1) {
      const previous = cues[i - 1];
      const cue = cues[i];
      if (previous && cue && cue.startSeconds < previous.endSeconds)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'startSeconds'],
          message: 'Captions are in time order and do not overlap',
        });
    }
  });

export const ZAudioWithCaptionsPayload = z.strictObject({
  audioAssetId: z.uuid(),
  captions: ZCaptionsV1,
});

export const ITEM_PAYLOAD_SCHEMAS = {
  image_pair_compare: ZImagePairComparePayload,
  image_ranked_gallery: ZImageRankedGalleryPayload,
  video_with_timeline: ZVideoWithTimelinePayload,
  audio_with_captions: ZAudioWithCaptionsPayload,
} as const;

export type ItemPayload<T extends DatasetItemType> = z.output<(typeof ITEM_PAYLOAD_SCHEMAS)[T]>;

export interface AssetRef {
  /** Where in the payload the id sits, e.g. `payload.images.2.assetId`. */
  path: string;
  assetId: string;
  kind: AssetKind;
}

/** The assets an item uses, and the kind each must be. */
export function assetRefs(type: DatasetItemType, payload: unknown): AssetRef[] {
  switch (type) {
    case 'image_pair_compare': {
      const p = payload as ItemPayload<'image_pair_compare'>;
      return [
        { path: 'payload.beforeAssetId', assetId: p.beforeAssetId, kind: 'image' },
        { path: 'payload.afterAssetId', assetId: p.afterAssetId, kind: 'image' },
      ];
    }
    case 'image_ranked_gallery': {
      const p = payload as ItemPayload<'image_ranked_gallery'>;
      return p.images.map((image, index) => ({
        path: `payload.images.${index}.assetId`,
        assetId: image.assetId,
        kind: 'image' as const,
      }));
    }
    case 'video_with_timeline': {
      const p = payload as ItemPayload<'video_with_timeline'>;
      const refs: AssetRef[] = [{ path: 'payload.videoAssetId', assetId: p.videoAssetId, kind: 'video' }];
      if (p.posterAssetId)
        refs.push({ path: 'payload.posterAssetId', assetId: p.posterAssetId, kind: 'image' });
      return refs;
    }
    case 'audio_with_captions': {
      const p = payload as ItemPayload<'audio_with_captions'>;
      return [{ path: 'payload.audioAssetId', assetId: p.audioAssetId, kind: 'audio' }];
    }
  }
}

/**
 * Splits a validated payload into what `dataset_items.payload` keeps (asset references and labels)
 * and the annotation stored beside it.
 */
export function splitAnnotations(
  type: DatasetItemType,
  payload: Record<string, unknown>,
): {
  payload: Record<string, unknown>;
  annotation: { schema: 'timeline_v1' | 'captions_v1'; data: unknown } | null;
} {
  if (type === 'video_with_timeline') {
    const { timeline, ...rest } = payload;
    return { payload: rest, annotation: { schema: 'timeline_v1', data: { entries: timeline } } };
  }
  if (type === 'audio_with_captions') {
    const { captions, ...rest } = payload;
    return { payload: rest, annotation: { schema: 'captions_v1', data: { cues: captions } } };
  }
  return { payload, annotation: null };
}

/** What an asset's declared content type makes it. */
export function assetKindOf(contentType: string): AssetKind {
  const type = contentType.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'document';
}
