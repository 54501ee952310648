import type { Permission } from '../auth/session-store.ts';
import { AREAS_BUILT, type Area } from './areas.ts';

/**
 * Who sees an item: `member` (signed in; the default), `guest` (signed out only: sign-in, sign-up…)
 * or `public` (everyone).
 */
export type NavAudience = 'member' | 'guest' | 'public';

export interface NavItem {
  to: string;
  label: string;
  audience?: NavAudience;
  /** Shown only to holders of at least one of these permissions (members only). */
  anyPermission?: readonly Permission[];
  /** Shown only when the API offers the dev mailbox (`dev.mailbox.*` does not answer NOT_FOUND). */
  requiresMailbox?: boolean;
  /** The area the item opens: hidden until that area is built (`areas.ts`). */
  area?: Area;
}

export interface NavSection {
  id: string;
  label: string;
  items: NavItem[];
}

/** Permissions that open the Admin area (users, roles, audit; incidents, logs, notifications later). */
export const ADMIN_PERMISSIONS: readonly Permission[] = [
  'users.manage',
  'org.manage',
  'roles.manage',
  'audit.read',
  'logs.read',
  'incidents.manage',
  'notifications.send',
];

/**
 * The left navigation: the areas of SPEC §11, role-aware. Items carry the permission that shows them;
 * the API still checks every call, so hiding is about clarity, not security.
 */
export const NAVIGATION: NavSection[] = [
  {
    id: 'account',
    label: 'Account',
    items: [
      { to: '/sign-in', label: 'Sign in', audience: 'guest' },
      { to: '/sign-up', label: 'Create account', audience: 'guest' },
      { to: '/verify-email', label: 'Verify email', audience: 'guest' },
      { to: '/forgot-password', label: 'Reset password', audience: 'guest' },
    ],
  },
  {
    id: 'platform',
    label: 'Platform',
    items: [
      { to: '/', label: 'Home' },
      { to: '/library', label: 'Library', area: 'library' },
      { to: '/creator', label: 'Creator' },
      { to: '/review', label: 'Review', anyPermission: ['content.review', 'creators.review'] },
      {
        to: '/datasets',
        label: 'Datasets',
        anyPermission: ['datasets.read', 'datasets.ingest'],
        area: 'datasets',
      },
      {
        to: '/workplace',
        label: 'Workplace',
        anyPermission: ['workplace.write', 'workplace.sync'],
        area: 'workplace',
      },
    ],
  },
  {
    id: 'administration',
    label: 'Administration',
    items: [
      { to: '/admin', label: 'Admin', anyPermission: ADMIN_PERMISSIONS },
      { to: '/ops', label: 'Ops', anyPermission: ['ops.read'] },
      // Infrastructure detail, for those who operate; sign-in itself says when the API is unreachable.
      { to: '/status', label: 'Status', anyPermission: ['ops.read'] },
    ],
  },
  {
    id: 'personal',
    label: 'You',
    items: [
      { to: '/profile', label: 'Profile' },
      { to: '/todos', label: 'Todos', area: 'todos' },
      { to: '/my-files', label: 'Files' },
      { to: '/notifications', label: 'Notifications' },
      // Public: verification codes arrive there before anyone can sign in.
      { to: '/mailbox', label: 'Mailbox (dev)', audience: 'public', requiresMailbox: true },
    ],
  },
];

export interface NavViewer {
  signedIn: boolean;
  can: (permission: Permission) => boolean;
  mailboxAvailable: boolean;
  /** Which areas are built (default: `AREAS_BUILT`). */
  areasBuilt?: Readonly<Record<Area, boolean>>;
}

export function isNavItemVisible(item: NavItem, viewer: NavViewer): boolean {
  if (item.area && !(viewer.areasBuilt ?? AREAS_BUILT)[item.area]) return false;
  if (item.requiresMailbox && !viewer.mailboxAvailable) return false;
  const audience = item.audience ?? 'member';
  if (audience === 'guest') return !viewer.signedIn;
  if (audience === 'member' && !viewer.signedIn) return false;
  if (item.anyPermission && !item.anyPermission.some((permission) => viewer.can(permission))) return false;
  return true;
}

/** The sections and items this viewer may use; sections left empty disappear. */
export function visibleNavigation(sections: readonly NavSection[], viewer: NavViewer): NavSection[] {
  return sections
    .map((section) => ({ ...section, items: section.items.filter((item) => isNavItemVisible(item, viewer)) }))
    .filter((section) => section.items.length > 0);
}
