import { useRef, useState } from 'react';
import { formatSeconds, useAssetUrl } from './asset-url.ts';

/** One image from a signed link, with its loading and failure states. */
function AssetImage({ assetId, alt, className }: { assetId: string; alt: string; className?: string }) {
  const url = useAssetUrl(assetId);
  if (url.isError) return <p className="muted">This image could not be loaded.</p>;
  if (!url.data) return <div className={`asset-placeholder ${className ?? ''}`} aria-busy="true" />;
  return <img src={url.data.url} alt={alt} className={className} draggable={false} />;
}

/** Before / after, one over the other: the slider uncovers the "after" image from the left. */
export function ImagePairCompare({
  payload,
}: {
  payload: { beforeAssetId: string; afterAssetId: string; beforeLabel?: string; afterLabel?: string };
}) {
  const [position, setPosition] = useState(50);
  const before = payload.beforeLabel ?? 'Before';
  const after = payload.afterLabel ?? 'After';
  return (
    <figure className="compare" data-testid="viewer-image-pair">
      <div className="compare__stage">
        <AssetImage assetId={payload.beforeAssetId} alt={before} className="compare__image" />
        <div className="compare__after" style={{ clipPath: `inset(0 ${100 - position}% 0 0)` }}>
          <AssetImage assetId={payload.afterAssetId} alt={after} className="compare__image" />
        </div>
        <div className="compare__divider" style={{ left: `${position}%` }} aria-hidden="true" />
      </div>
      <label className="compare__control">
        <span>
          {after} ← → {before}
        </span>
        <input
          type="range"
          min={0}
          max={100}
          value={position}
          onChange={(event) => setPosition(Number(event.target.value))}
          aria-label={`How much of "${after}" to show`}
        />
      </label>
    </figure>
  );
}

/** The images in rank order, best first, with their scores and captions. */
export function RankedGallery({
  payload,
}: {
  payload: { images: Array<{ assetId: string; rank: number; score?: number; caption?: string }> };
}) {
  const images = [...payload.images].sort((a, b) => a.rank - b.rank);
  return (
    <ol className="ranked-gallery" data-testid="viewer-ranked-gallery">
      {images.map((image) => (
        <li key={image.assetId} className="ranked-gallery__item">
          <span className="ranked-gallery__rank">
            <span className="visually-hidden">Rank </span>#{image.rank}
          </span>
          <AssetImage
            assetId={image.assetId}
            alt={image.caption ?? `Rank ${image.rank}`}
            className="ranked-gallery__image"
          />
          <span className="ranked-gallery__caption">
            {image.caption}
            {image.score !== undefined && <span className="muted"> score {image.score}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

interface TimelineEntry {
  atSeconds: number;
  endSeconds?: number;
  label: string;
}

/** A video and its timeline: choosing a moment seeks the player there and plays. */
export function VideoWithTimeline({
  payload,
  entries,
}: {
  payload: { videoAssetId: string };
  entries: TimelineEntry[];
}) {
  const url = useAssetUrl(payload.videoAssetId);
  const video = useRef<HTMLVideoElement>(null);
  const [duration, setDuration] = useState(0);
  const [now, setNow] = useState(0);
  const seek = (seconds: number) => {
    const element = video.current;
    if (!element) return;
    element.currentTime = seconds;
    setNow(seconds);
    void element.play().catch(() => {
      // Autoplay refused (no user gesture yet, or no playable source): the position is still set.
    });
  };
  const span = duration || Math.max(1, ...entries.map((entry) => entry.endSeconds ?? entry.atSeconds));
  return (
    <div className="media-viewer" data-testid="viewer-video">
      {url.isError ? (
        <p className="muted">This video could not be loaded.</p>
      ) : (
        // biome-ignore lint/a11y/useMediaCaption: dataset videos carry a timeline, not captions.
        <video
          ref={video}
          className="media-viewer__video"
          src={url.data?.url}
          controls
          preload="metadata"
          onLoadedMetadata={(event) => setDuration(event.currentTarget.duration || 0)}
          onTimeUpdate={(event) => setNow(event.currentTarget.currentTime)}
          data-testid="video-player"
        />
      )}
      <div className="timeline-bar" aria-hidden="true">
        {entries.map((entry) => (
          <span
            key={`${entry.atSeconds}-${entry.label}`}
            className="timeline-bar__mark"
            style={{
              left: `${(entry.atSeconds / span) * 100}%`,
              width: entry.endSeconds ? `${((entry.endSeconds - entry.atSeconds) / span) * 100}%` : undefined,
            }}
          />
        ))}
        <span className="timeline-bar__now" style={{ left: `${Math.min(100, (now / span) * 100)}%` }} />
      </div>
      <ol className="timeline-list" aria-label="Timeline">
        {entries.map((entry) => {
          const active = now >= entry.atSeconds && now < (entry.endSeconds ?? entry.atSeconds + 1);
          return (
            <li key={`${entry.atSeconds}-${entry.label}`}>
              <button
                type="button"
                className={`timeline-list__entry${active ? ' timeline-list__entry--active' : ''}`}
                aria-current={active ? 'true' : undefined}
                onClick={() => seek(entry.atSeconds)}
              >
                <span className="timeline-list__time">
                  {formatSeconds(entry.atSeconds)}
                  {entry.endSeconds !== undefined && `–${formatSeconds(entry.endSeconds)}`}
                </span>
                {entry.label}
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}

interface Cue {
  startSeconds: number;
  endSeconds: number;
  text: string;
}

/** An audio track whose captions follow playback; choosing a caption plays from there. */
export function AudioWithCaptions({ payload, cues }: { payload: { audioAssetId: string }; cues: Cue[] }) {
  const url = useAssetUrl(payload.audioAssetId);
  const audio = useRef<HTMLAudioElement>(null);
  const [now, setNow] = useState(0);
  const current = cues.find((cue) => now >= cue.startSeconds && now < cue.endSeconds);
  const seek = (seconds: number) => {
    const element = audio.current;
    if (!element) return;
    element.currentTime = seconds;
    setNow(seconds);
    void element.play().catch(() => {
      // Autoplay refused: the position is still set.
    });
  };
  return (
    <div className="media-viewer" data-testid="viewer-audio">
      {url.isError ? (
        <p className="muted">This audio could not be loaded.</p>
      ) : (
        // biome-ignore lint/a11y/useMediaCaption: the captions are shown beside the player, following it.
        <audio
          ref={audio}
          className="media-viewer__audio"
          src={url.data?.url}
          controls
          preload="metadata"
          onTimeUpdate={(event) => setNow(event.currentTarget.currentTime)}
          data-testid="audio-player"
        />
      )}
      <p className="caption-now" aria-live="polite" data-testid="caption-now">
        {current?.text ?? ' '}
      </p>
      <ol className="timeline-list" aria-label="Captions">
        {cues.map((cue) => {
          const active = cue === current;
          return (
            <li key={`${cue.startSeconds}-${cue.text}`}>
              <button
                type="button"
                className={`timeline-list__entry${active ? ' timeline-list__entry--active' : ''}`}
                aria-current={active ? 'true' : undefined}
                onClick={() => seek(cue.startSeconds)}
              >
                <span className="timeline-list__time">{formatSeconds(cue.startSeconds)}</span>
                {cue.text}
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
