import { prettyJson } from '../format.ts';

/** A payload, output or result as indented JSON, scrollable when long. */
export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="json-block" data-testid={testId}>
      <code>{prettyJson(value)}</code>
    </pre>
  );
}
