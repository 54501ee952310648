import { describeError } from '../lib/errors.ts';
import { formatClockTime, formatDuration } from '../lib/time-format.ts';

interface ErrorMessageProps {
  error: unknown;
  /** Overrides the title derived from the error code, e.g. "Could not save the dataset". */
  title?: string;
  /** Shows a "Try again" button. */
  onRetry?: () => void;
  /** Fields a form already shows next to their inputs: left out of the list here. */
  inlineFields?: readonly string[];
  /**
   * What the person calls fields the form does not show ("Organisation ID" for `orgSlug`): their
   * errors are listed as "Organisation ID: …". Without a label, just the message — never the key.
   */
  fieldLabels?: Readonly<Record<string, string>>;
}

/** Answers that asking again cannot change: no "Try again" button for them. */
const FINAL_CODES = new Set(['NOT_FOUND', 'FORBIDDEN', 'VALIDATION_ERROR', 'UNPROCESSABLE', 'CONFLICT']);

/**
 * Shows any failure the way SPEC §10 promises: the API's human message, the field errors no input
 * shows, and — for a failure on our side — the machine code plus request id for support. Every page
 * reuses it for every failed call. A validation error whose every message sits next to its input
 * shows no banner at all: the fields say it, and `<Form>` has moved the focus to the first.
 */
export function ErrorMessage({ error, title, onRetry, inlineFields, fieldLabels }: ErrorMessageProps) {
  const described = describeError(error);
  const retryable = onRetry !== undefined && !(described.code && FINAL_CODES.has(described.code));
  // The code and request id are for support: shown when something broke on our side (a 5xx), not
  // for an answer that explains itself (not found, not allowed, a field to fix).
  const forSupport = described.httpStatus !== null && described.httpStatus >= 500;
  const allFieldErrors = Object.entries(described.fieldErrors ?? {});
  const fieldEntries = allFieldErrors.filter(([field]) => !inlineFields?.includes(field));
  const validation = described.code === 'VALIDATION_ERROR';
  // A refused input whose every message sits next to its field needs no banner. Other answers with
  // field errors (a 409, a 422) also say something about the state of things: their message stays.
  if (validation && allFieldErrors.length > 0 && fieldEntries.length === 0) return null;
  // With field errors listed, the API's summary ("Invalid input at …") would repeat one of them.
  const showMessage = !validation || fieldEntries.length === 0;
  return (
    <div
      className={`error-message${described.unreachable ? ' error-message--unreachable' : ''}`}
      role="alert"
      data-testid="error-message"
      data-code={described.code ?? (described.unreachable ? 'UNREACHABLE' : 'UNKNOWN')}
    >
      <p className="error-message__title">{title ?? described.title}</p>
      {showMessage && <p className="error-message__text">{described.message}</p>}
      {described.unreachable && (
        <p className="error-message__hint">
          Check that the API is running and that this page is served through its proxy.
        </p>
      )}
      {described.retryAfterSeconds !== null && (
        <p className="error-message__hint">{retryHint(described.retryAfterSeconds)}</p>
      )}
      {fieldEntries.length > 0 && (
        <ul className="error-message__fields">
          {fieldEntries.map(([field, messages]) => {
            const label = fieldLabels?.[field];
            return (
              <li key={field}>
                {label ? `${label}: ` : ''}
                {messages[0]}
              </li>
            );
          })}
        </ul>
      )}
      {forSupport && (described.code || described.requestId) && (
        <p className="error-message__meta">
          {described.code && <code>{described.code}</code>}
          {described.requestId && <span> · request {described.requestId}</span>}
        </p>
      )}
      {retryable && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** "Try again in 12 s." — and for longer waits (an hourly quota) the time of day as well. */
function retryHint(seconds: number): string {
  const wait = Math.ceil(seconds);
  if (wait < 60) return `Try again in ${wait} s.`;
  return `Try again in ${formatDuration(wait)} (at ${formatClockTime(Date.now() + wait * 1000)}).`;
}
