export * from './import-content.ts';
export * from './import-url.ts';
export * from './iso8601-duration.ts';
export * from './media-provider.ts';
export { MEDIA_NOT_FOUND } from './provider-http.ts';
export * from './registry.ts';
export { soundcloudPath, soundcloudProvider } from './soundcloud.ts';
export { vimeoProvider, vimeoVideo } from './vimeo.ts';
export { youtubeProvider, youtubeVideoId } from './youtube.ts';
