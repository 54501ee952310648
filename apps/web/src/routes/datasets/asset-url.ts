import { useQuery } from '@tanstack/react-query';
import { trpc } from '../../lib/trpc.ts';

/** Links live 120 s; a fresh one is fetched before that, so a long session keeps playing. */
const LINK_SECONDS = 120;

/**
 * A short-lived signed link to one asset (`assets.signedUrl`, logged on the server each time). Kept
 * for 90 s, then fetched again; media elements keep their already-loaded data when the link changes.
 */
export function useAssetUrl(assetId: string | undefined) {
  return useQuery({
    queryKey: ['asset-url', assetId],
    enabled: Boolean(assetId),
    queryFn: () => trpc.assets.signedUrl.mutate({ assetId: assetId ?? '', expiresInSeconds: LINK_SECONDS }),
    staleTime: 90_000,
    refetchInterval: 90_000,
    refetchOnWindowFocus: false,
  });
}

export const ITEM_TYPE_LABELS: Record<string, string> = {
  image_pair_compare: 'Image pair',
  image_ranked_gallery: 'Ranked gallery',
  video_with_timeline: 'Video with timeline',
  audio_with_captions: 'Audio with captions',
};

export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
}
