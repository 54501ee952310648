import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api, type RouterInputs } from '../../lib/trpc.ts';

type PreviewInput = RouterInputs['notifications']['preview'];

/**
 * A notification as Atrium will send it, rendered by the API with the renderer the worker uses
 * (`notifications.preview`): the subject, the email's HTML part in a sandboxed frame (no scripts, no
 * same-origin access, no navigation) and its text part. Variables nobody gave yet show sample values,
 * named underneath.
 */
export function RenderedPreview({ input, title = 'As sent' }: { input: PreviewInput; title?: string }) {
  const preview = useQuery({
    ...api.notifications.preview.queryOptions(input),
    placeholderData: keepPreviousData,
  });
  if (preview.isError) {
    return <ErrorMessage error={preview.error} title="Could not render the preview" />;
  }
  if (!preview.data) return <p className="muted">Rendering the preview…</p>;
  const { subject, html, text, sampled } = preview.data;
  return (
    <section className="rendered-preview" aria-label={title} data-testid="rendered-preview">
      <h4 className="field__label">{title}</h4>
      <p className="preview__subject" data-testid="rendered-subject">
        {subject}
      </p>
      {html !== null && (
        <iframe
          className="rendered-preview__html"
          title={`${title}: the email as HTML`}
          sandbox=""
          srcDoc={html}
          data-testid="rendered-html"
        />
      )}
      <details open={html === null}>
        <summary>{html === null ? 'The text' : 'The plain-text part'}</summary>
        <pre className="preview__body" data-testid="rendered-text">
          {text}
        </pre>
      </details>
      {sampled.length > 0 && (
        <p className="field__hint">
          Sample values stand in for{' '}
          {sampled.map((name, index) => (
            <span key={name}>
              {index > 0 && ', '}
              <code>{name}</code>
            </span>
          ))}
          ; each recipient's own name and the organisation's are filled in when it is sent.
        </p>
      )}
    </section>
  );
}
