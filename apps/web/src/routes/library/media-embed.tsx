import type { RouterOutputs } from '../../lib/trpc.ts';

type Media = NonNullable<RouterOutputs['discovery']['get']['media']>;

/** The player address of an external media, per provider; null when the address is not one we know. */
export function embedUrlOf(media: Media): string | null {
  if (media.source !== 'external' || !media.externalUrl) return null;
  let url: URL;
  try {
    url = new URL(media.externalUrl);
  } catch {
    return null;
  }
  switch (media.provider) {
    case 'youtube': {
      const id = url.searchParams.get('v') ?? url.pathname.split('/').filter(Boolean).at(-1);
      return id ? `https://www.youtube-nocookie.com/embed/${encodeURIComponent(id)}` : null;
    }
    case 'vimeo': {
      const [id, hash] = url.pathname.split('/').filter(Boolean);
      if (!id) return null;
      return `https://player.vimeo.com/video/${encodeURIComponent(id)}${hash ? `?h=${encodeURIComponent(hash)}` : ''}`;
    }
    case 'soundcloud':
      return `https://w.soundcloud.com/player/?url=${encodeURIComponent(media.externalUrl)}`;
    default:
      return null;
  }
}

/** The right player for a content's media: the provider's embed, or a link when there is none. */
export function MediaEmbed({ media, title }: { media: Media | null; title: string }) {
  if (!media) return <p className="muted">This item has no video or audio yet.</p>;
  const src = embedUrlOf(media);
  if (!src) {
    return media.externalUrl ? (
      <p>
        <a href={media.externalUrl} target="_blank" rel="noreferrer noopener">
          Open the media
        </a>
      </p>
    ) : (
      <p className="muted">This media cannot be played here.</p>
    );
  }
  return (
    <div className={media.mediaType === 'audio' ? 'embed embed--audio' : 'embed'}>
      <iframe
        src={src}
        title={`${title} — player`}
        data-testid="media-embed"
        data-provider={media.provider}
        allow="autoplay; encrypted-media; fullscreen; picture-in-picture"
        allowFullScreen
        loading="lazy"
        referrerPolicy="strict-origin-when-cross-origin"
      />
    </div>
  );
}
