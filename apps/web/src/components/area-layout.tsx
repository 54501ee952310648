import type { ReactNode } from 'react';
import { NavLink, Outlet } from 'react-router';

export interface SectionLink {
  to: string;
  label: string;
  /** Current only on exactly this path, not below it (an area's index). */
  end?: boolean;
}

/** The secondary navigation of an area or section: a link per section (none: no navigation). */
export function SubNav({
  label,
  links,
  minor = false,
}: {
  /** Names the navigation, e.g. "Admin sections". */
  label: string;
  links: readonly SectionLink[];
  /** A navigation inside a section (smaller, under the section's heading). */
  minor?: boolean;
}) {
  if (links.length === 0) return null;
  return (
    <nav className={minor ? 'subnav subnav--minor' : 'subnav'} aria-label={label}>
      <ul>
        {links.map((link) => (
          <li key={link.to}>
            <NavLink to={link.to} end={link.end} className="subnav__link">
              {link.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/**
 * An area of the app (Admin, Ops, Creator, Review): its heading and lead, the navigation of the
 * sections the user may open ("<title> sections"), and the section shown.
 */
export function AreaLayout({
  titleId,
  title,
  lead,
  sections,
}: {
  titleId: string;
  title: string;
  lead: ReactNode;
  sections: readonly SectionLink[];
}) {
  return (
    <section className="page page--wide" aria-labelledby={titleId}>
      <header className="page__header">
        <div>
          <h1 id={titleId}>{title}</h1>
          <p className="muted">{lead}</p>
        </div>
      </header>
      <SubNav label={`${title} sections`} links={sections} />
      <Outlet />
    </section>
  );
}
