import type { ReactNode } from 'react';

/** One row of a `<dl className="facts">` (the status page's layout): a label and its value. */
export function Fact({
  label,
  children,
  testId,
  prose = false,
}: {
  label: string;
  children: ReactNode;
  testId?: string;
  /** The value is text a person wrote (kept as typed, line breaks included). */
  prose?: boolean;
}) {
  return (
    <div className="facts__row" data-testid={testId}>
      <dt>{label}</dt>
      <dd className={prose ? 'prose-text' : undefined}>{children}</dd>
    </div>
  );
}
