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
}

/**
 * Shows any failure the way SPEC §10 promises: the API's human message, its field errors, and the
 * machine code plus request id for support. Every page reuses it for every failed call.
 */
/** Answers that asking again cannot change: no "Try again" button for them. */
const FINAL_CODES = new Set(['NOT_FOUND', 'FORBIDDEN', 'VALIDATION_ERROR', 'UNPROCESSABLE', 'CONFLICT']);

export function ErrorMessage({ error, title, onRetry, inlineFields }: ErrorMessageProps) {
  const described = describeError(error);
  const retryable = onRetry !== undefined && !(described.code && FINAL_CODES.has(described.code));
  // The code and request id are for support: shown when something broke on our side, not for an
  // answer that explains itself (not found, not allowed, a field to fix).
  const forSupport = !described.code || ['INTERNAL', 'UNAVAILABLE', 'BAD_GATEWAY'].includes(described.code);
  const fieldEntries = Object.entries(described.fieldErrors ?? {}).filter(
    ([field]) => !inlineFields?.includes(field),
  );
  return (
    <div
      className={`error-message${described.unreachable ? ' error-message--unreachable' : ''}`}
      role="alert"
      data-testid="error-message"
      data-code={described.code ?? (described.unreachable ? 'UNREACHABLE' : 'UNKNOWN')}
    >
      <p className="error-message__title">{title ?? described.title}</p>
      <p className="error-message__text">{described.message}</p>
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
          {fieldEntries.map(([field, messages]) => (
            <li key={field}>
              {field !== '_' && <code>{field}</code>} {messages.join('; ')}
            </li>
          ))}
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
