import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { ConfirmButton, ResultNotice } from '../../components/confirm-dialog.tsx';
import { PagedListPager, usePagedList } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { describeError } from '../../lib/errors.ts';
import { plural } from '../../lib/plural.ts';
import { api, trpc } from '../../lib/trpc.ts';

/** The catcher keeps the newest 500 messages; the page lists them all, 20 at a time. */
const FETCH_LIMIT = 500;
const PAGE_SIZE = 20;
export const MAILBOX_REFRESH_MS = 2_000;

/**
 * The dev Mailbox (SPEC §0, §11): every email the platform sent on this machine, caught by the dev
 * mail catcher — verification codes, reset links, welcome emails. Refreshes every 2 s.
 */
export function MailboxPage() {
  const queryClient = useQueryClient();
  const [result, setResult] = useState<ReactNode>(null);
  const list = useQuery({
    ...api.dev.mailbox.list.queryOptions({ limit: FETCH_LIMIT }),
    refetchInterval: MAILBOX_REFRESH_MS,
    staleTime: 0,
    retry: false,
  });
  const messages = list.data?.messages ?? [];
  const paged = usePagedList(messages, PAGE_SIZE);
  const notOffered = list.isError && describeError(list.error).code === 'NOT_FOUND';

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Mailbox</h1>
          <p className="muted">
            Development only: email the platform sent on this machine, caught before it left. Refreshes every{' '}
            {MAILBOX_REFRESH_MS / 1000} s.
          </p>
        </div>
        {list.isSuccess && (
          <ConfirmButton
            label="Clear mailbox"
            title="Delete every caught email?"
            confirmLabel="Delete every email"
            cancelLabel="Keep them"
            destructive
            disabled={list.data.total === 0}
            run={() => trpc.dev.mailbox.clear.mutate()}
            onSuccess={(outcome) => {
              setResult(`Deleted ${plural(outcome.deleted, 'message')}.`);
              void queryClient.invalidateQueries({ queryKey: api.dev.mailbox.pathKey() });
            }}
          >
            <p>
              The mail catcher forgets{' '}
              {list.data.total === 1 ? 'the one message' : `all ${plural(list.data.total, 'message')}`}. This
              cannot be undone.
            </p>
          </ConfirmButton>
        )}
      </header>
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      {notOffered ? (
        <div className="panel" data-testid="mailbox-unavailable">
          <p>
            This API does not offer the dev mailbox: it runs in production, or without a mail catcher (
            <code>MAIL_CATCHER_URL</code>). Email goes out through the configured SMTP server instead.
          </p>
        </div>
      ) : list.isError ? (
        <ErrorMessage
          error={list.error}
          title="Could not read the mailbox"
          onRetry={() => void list.refetch()}
        />
      ) : list.isPending ? (
        <p className="muted">Loading…</p>
      ) : messages.length === 0 ? (
        <div className="panel" data-testid="mailbox-empty">
          <p>No email yet. Messages appear here within seconds of being sent.</p>
        </div>
      ) : (
        <div className="panel">
          <p className="muted">{plural(list.data.total, 'message')}, newest first.</p>
          <div className="table-scroll">
            <table className="table" aria-label="Caught email">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">To</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Preview</th>
                </tr>
              </thead>
              <tbody>
                {paged.items.map((message) => (
                  <tr key={message.id} data-testid="mailbox-row">
                    <td className="table__nowrap">
                      <time dateTime={message.date.toISOString()}>{message.date.toLocaleString()}</time>
                    </td>
                    <td>{message.to.join(', ')}</td>
                    <th scope="row">
                      <Link to={`/mailbox/${encodeURIComponent(message.id)}`}>
                        {message.subject || '(no subject)'}
                      </Link>
                    </th>
                    <td className="table__detail muted">{message.preview}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PagedListPager label="messages" list={paged} />
        </div>
      )}
    </section>
  );
}
