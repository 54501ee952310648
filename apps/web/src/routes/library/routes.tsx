import { type RouteObject, useParams } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ContentPage } from './content-page.tsx';
import { LibraryPage } from './library-page.tsx';

/** The Library of the signed-in member's org. */
function OwnLibraryPage() {
  const session = useSession();
  if (!session.org) return <p className="muted">Loading…</p>;
  return (
    <LibraryPage orgSlug={session.org.slug} orgName={session.org.name} itemPath={(id) => `/library/${id}`} />
  );
}

function OwnContentPage() {
  const session = useSession();
  if (!session.org) return <p className="muted">Loading…</p>;
  return <ContentPage orgSlug={session.org.slug} backTo="/library" />;
}

/** Library (SPEC §11) inside the app. */
export const libraryRoutes: RouteObject = {
  path: 'library',
  children: [
    { index: true, element: <OwnLibraryPage /> },
    { path: ':id', element: <OwnContentPage /> },
  ],
};

function PublicLibraryPage() {
  const { orgSlug = '' } = useParams();
  return <LibraryPage orgSlug={orgSlug} itemPath={(id) => `/o/${encodeURIComponent(orgSlug)}/c/${id}`} />;
}

function PublicContentPage() {
  const { orgSlug = '' } = useParams();
  return <ContentPage orgSlug={orgSlug} backTo={`/o/${encodeURIComponent(orgSlug)}`} />;
}

/** An org's public Library at /o/{orgSlug}: published content, no sign-in. */
export const publicLibraryRoutes: RouteObject = {
  path: 'o/:orgSlug',
  children: [
    { index: true, element: <PublicLibraryPage /> },
    { path: 'c/:id', element: <PublicContentPage /> },
  ],
};
