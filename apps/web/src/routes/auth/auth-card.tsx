import type { ReactNode } from 'react';

/** The frame of the signed-out pages: one narrow panel with a heading and a lead sentence. */
export function AuthCard({
  title,
  lead,
  children,
}: {
  title: string;
  lead?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="page auth-page" aria-labelledby="page-title">
      <div className="panel auth-card">
        <h1 id="page-title">{title}</h1>
        {lead && <p className="muted auth-card__lead">{lead}</p>}
        {children}
      </div>
    </section>
  );
}

export function Notice({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="notice notice--info" role="status" data-testid={testId}>
      <p>{children}</p>
    </div>
  );
}

export const PASSWORD_HINT =
  'At least 12 characters; not your email address, not a common password. A short sentence works well.';
