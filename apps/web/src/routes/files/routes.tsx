import type { RouteObject } from 'react-router';
import { FilesPage } from './files-page.tsx';

export const filesRoutes: RouteObject = {
  // Not `/files`: that path belongs to the API (public links, /files/public/{token}).
  path: 'my-files',
  element: <FilesPage />,
};
