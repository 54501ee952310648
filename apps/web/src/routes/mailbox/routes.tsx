import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const mailboxRoutes: RouteObject = {
  path: 'mailbox',
  element: (
    <PlaceholderPage
      title="Mailbox"
      arrivesWith="the development stack's mail catcher (SPEC §0)"
      plans={['Every email the platform sent while running locally, caught before it leaves the machine']}
    />
  ),
};
