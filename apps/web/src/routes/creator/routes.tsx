import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const creatorRoutes: RouteObject = {
  path: 'creator',
  element: (
    <PlaceholderPage
      title="Creator"
      arrivesWith="the creator programme (SPEC §3)"
      plans={[
        "Apply to the creator programme and follow your application's status",
        'My content, with media upload or import from a YouTube, Vimeo or SoundCloud URL',
      ]}
    />
  ),
};
