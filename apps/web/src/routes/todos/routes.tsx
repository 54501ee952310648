import type { RouteObject } from 'react-router';
import { TodosPage } from './todos-page.tsx';

export const todosRoutes: RouteObject = {
  path: 'todos',
  element: <TodosPage />,
};
