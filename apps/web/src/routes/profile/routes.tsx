import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const profileRoutes: RouteObject = {
  path: 'profile',
  element: (
    <PlaceholderPage
      title="Profile"
      arrivesWith="identity and profiles (SPEC §1, §5)"
      plans={['Your profile and account settings', 'Sign-in sessions']}
    />
  ),
};
