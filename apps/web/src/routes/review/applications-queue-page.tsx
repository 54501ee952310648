import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ListPanel } from '../../components/list-panel.tsx';
import { RESYNC_EVENT, useRealtimeEvents } from '../../lib/realtime.ts';
import { api } from '../../lib/trpc.ts';
import { APPLICATION_DECIDED_EVENT } from '../creator/application-page.tsx';
import { ApplicationRow, ApplicationsTable, PENDING_QUEUE } from './application-table.tsx';

const PAGE_SIZE = 20;
/** The worker's live hint to reviewers when someone applies. */
export const APPLICATION_SUBMITTED_EVENT = 'creator.application.submitted';
const QUEUE_EVENTS: ReadonlySet<string> = new Set([
  APPLICATION_SUBMITTED_EVENT,
  APPLICATION_DECIDED_EVENT,
  RESYNC_EVENT,
]);

/** The review queue: pending creator applications, oldest first, updated live as members apply. */
export function ApplicationsQueuePage() {
  const queryClient = useQueryClient();
  const pages = useCursorPages('pending');
  const list = useQuery({
    ...api.creators.listPending.queryOptions({ cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  useRealtimeEvents((event) => {
    if (QUEUE_EVENTS.has(event.type))
      void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
  });

  return (
    <section aria-labelledby="queue-title">
      <div className="section-header">
        <h2 id="queue-title">Pending creator applications</h2>
      </div>
      <ListPanel
        query={list}
        errorTitle="Could not load the applications"
        isEmpty={(data) => data.items.length === 0}
        empty={
          <p>
            {pages.page === 1
              ? 'No application is waiting. New ones appear here as members apply.'
              : 'No more applications.'}
          </p>
        }
        emptyTestId="queue-empty"
        pager={{ label: 'applications', pages }}
      >
        {(data) => (
          <ApplicationsTable
            label="Pending creator applications"
            columns={['Submitted', 'Motivation', 'Portfolio']}
          >
            {data.items.map((application) => (
              <ApplicationRow
                key={application.id}
                application={application}
                testId="pending-application"
                verb="Review"
                from={PENDING_QUEUE}
              >
                <td className="table__nowrap">{application.submittedAt.toLocaleString()}</td>
                <td>
                  <span className="truncate-2">{application.motivation}</span>
                </td>
                <td>
                  {application.portfolioUrl ? (
                    <a href={application.portfolioUrl} target="_blank" rel="noreferrer noopener">
                      Portfolio
                    </a>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </ApplicationRow>
            ))}
          </ApplicationsTable>
        )}
      </ListPanel>
    </section>
  );
}
