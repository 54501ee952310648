import { useSession } from '../../auth/use-session.ts';
import { AreaLayout } from '../../components/area-layout.tsx';

/**
 * The Creator area (SPEC §11): the application to the creator programme for everyone, and
 * "My content" for holders of `content.write` (what the `creator` role grants).
 */
export function CreatorLayout() {
  const session = useSession();
  return (
    <AreaLayout
      titleId="creator-title"
      title="Creator"
      lead="Apply to the creator programme, follow your application, manage your content."
      sections={[
        { to: '/creator', label: 'Application', end: true },
        ...(session.can('content.write') ? [{ to: '/creator/content', label: 'My content' }] : []),
      ]}
    />
  );
}
