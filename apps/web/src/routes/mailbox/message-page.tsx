import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api } from '../../lib/trpc.ts';

const URL_PATTERN = /(https?:\/\/[^\s<>"]+)/g;

/** Plain text with its links clickable (reset links, sign-in links). */
function linkify(text: string): ReactNode[] {
  return text.split(URL_PATTERN).map((part, index) =>
    index % 2 === 1 ? (
      // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string never reorder
      <a key={index} href={part}>
        {part}
      </a>
    ) : (
      part
    ),
  );
}

/** One caught email: its envelope, its text (links clickable) and its HTML in a sandboxed frame. */
export function MailboxMessagePage() {
  const { id = '' } = useParams();
  const [view, setView] = useState<'text' | 'html'>('text');
  const message = useQuery({ ...api.dev.mailbox.get.queryOptions({ id }), retry: false });

  return (
    <section className="page" aria-labelledby="page-title">
      <p>
        <Link to="/mailbox">← Back to the mailbox</Link>
      </p>
      {message.isError ? (
        <ErrorMessage error={message.error} title="Could not open the message" />
      ) : message.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <header className="page__header">
            <h1 id="page-title">{message.data.subject || '(no subject)'}</h1>
          </header>
          <div className="panel">
            <dl className="facts">
              <div className="facts__row">
                <dt>From</dt>
                <dd>{message.data.from}</dd>
              </div>
              <div className="facts__row">
                <dt>To</dt>
                <dd data-testid="mail-to">{message.data.to.join(', ')}</dd>
              </div>
              {message.data.cc.length > 0 && (
                <div className="facts__row">
                  <dt>Cc</dt>
                  <dd>{message.data.cc.join(', ')}</dd>
                </div>
              )}
              <div className="facts__row">
                <dt>Date</dt>
                <dd>
                  <time dateTime={message.data.date.toISOString()}>{message.data.date.toLocaleString()}</time>
                </dd>
              </div>
              {message.data.attachments.length > 0 && (
                <div className="facts__row">
                  <dt>Attachments</dt>
                  <dd>
                    {message.data.attachments
                      .map((file) => `${file.filename ?? 'unnamed'} (${file.contentType}, ${file.size} B)`)
                      .join('; ')}
                  </dd>
                </div>
              )}
            </dl>
          </div>
          {message.data.html !== null && (
            <fieldset className="tabs">
              <legend className="visually-hidden">Show the message as</legend>
              <button
                type="button"
                className="button button--quiet"
                aria-pressed={view === 'text'}
                onClick={() => setView('text')}
              >
                Text
              </button>
              <button
                type="button"
                className="button button--quiet"
                aria-pressed={view === 'html'}
                onClick={() => setView('html')}
              >
                HTML
              </button>
            </fieldset>
          )}
          <div className="panel mail-body">
            {view === 'html' && message.data.html !== null ? (
              <iframe
                title="Message HTML"
                className="mail-body__html"
                sandbox=""
                srcDoc={message.data.html}
              />
            ) : (
              <pre className="mail-body__text" data-testid="mail-text">
                {linkify(message.data.text)}
              </pre>
            )}
          </div>
        </>
      )}
    </section>
  );
}
