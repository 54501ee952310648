export interface NavItem {
  to: string;
  label: string;
}

export interface NavSection {
  id: string;
  label: string;
  items: NavItem[];
}

/**
 * The left navigation: the areas of SPEC §11. Becomes role-aware with the identity work (items
 * will carry the permission that shows them); the dev-only Mailbox exists only under `vite dev`.
 */
export const NAVIGATION: NavSection[] = [
  {
    id: 'platform',
    label: 'Platform',
    items: [
      { to: '/library', label: 'Library' },
      { to: '/creator', label: 'Creator' },
      { to: '/review', label: 'Review' },
      { to: '/datasets', label: 'Datasets' },
      { to: '/workplace', label: 'Workplace' },
    ],
  },
  {
    id: 'administration',
    label: 'Administration',
    items: [
      { to: '/admin', label: 'Admin' },
      { to: '/ops', label: 'Ops' },
      { to: '/status', label: 'Status' },
    ],
  },
  {
    id: 'personal',
    label: 'You',
    items: [
      { to: '/profile', label: 'Profile' },
      { to: '/todos', label: 'Todos' },
      { to: '/notifications', label: 'Notifications' },
      ...(import.meta.env.DEV ? [{ to: '/mailbox', label: 'Mailbox (dev)' }] : []),
    ],
  },
];
