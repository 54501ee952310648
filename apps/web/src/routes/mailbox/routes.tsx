import type { RouteObject } from 'react-router';
import { MailboxPage } from './mailbox-page.tsx';
import { MailboxMessagePage } from './message-page.tsx';

/**
 * The dev Mailbox. Public like `dev.mailbox.*` itself: verification codes arrive here before anyone
 * can sign in. The navigation shows it only when the API offers it (useMailboxAvailable).
 */
export const mailboxRoutes: RouteObject = {
  path: 'mailbox',
  children: [
    { index: true, element: <MailboxPage /> },
    { path: ':id', element: <MailboxMessagePage /> },
  ],
};
