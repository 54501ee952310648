import type { RouteObject } from 'react-router';
import { PlaceholderPage } from '../../components/placeholder-page.tsx';

export const todosRoutes: RouteObject = {
  path: 'todos',
  element: (
    <PlaceholderPage title="Todos" arrivesWith="profiles and todos (SPEC §5)" plans={['Your todos']} />
  ),
};
