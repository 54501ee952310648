import { Link } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { AreaLayout } from '../../components/area-layout.tsx';

export const WORKPLACE_SECTIONS = [
  {
    to: '/workplace/spaces',
    label: 'Spaces',
    permission: 'workplace.write',
    description: 'Desks and offices, their label codes and who sits there.',
  },
  {
    to: '/workplace/people',
    label: 'People',
    permission: 'workplace.write',
    description: 'People and their spaces; import a CSV with a preview.',
  },
  {
    to: '/workplace/rooms',
    label: 'Rooms',
    permission: 'workplace.write',
    description: 'Conference rooms: start or end a meeting, flip the label page.',
  },
  {
    to: '/workplace/sync',
    label: 'Sync',
    permission: 'workplace.sync',
    description: 'AIMS status, full sync with progress, failed items to retry.',
  },
  {
    to: '/workplace/connection',
    label: 'AIMS connection',
    permission: 'workplace.sync',
    description: 'Where your SoluM AIMS is, and a connection test.',
  },
] as const;

/** Workplace (SPEC §11): spaces, people, rooms, sync and the AIMS connection. */
export function WorkplaceLayout() {
  const session = useSession();
  return (
    <AreaLayout
      titleId="workplace-title"
      title="Workplace"
      lead="Spaces, people and rooms, shown on electronic shelf labels through SoluM AIMS."
      sections={WORKPLACE_SECTIONS.filter((section) => session.can(section.permission))}
    />
  );
}

export function WorkplaceIndexPage() {
  const session = useSession();
  return (
    <div className="card-grid">
      {WORKPLACE_SECTIONS.filter((section) => session.can(section.permission)).map((section) => (
        <div className="panel" key={section.to}>
          <h2>
            <Link to={section.to}>{section.label}</Link>
          </h2>
          <p className="muted">{section.description}</p>
        </div>
      ))}
    </div>
  );
}
