import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { SelectField } from '../../components/form-field.tsx';
import { ListPanel } from '../../components/list-panel.tsx';
import { RESYNC_EVENT, useRealtimeEvents } from '../../lib/realtime.ts';
import { api } from '../../lib/trpc.ts';
import { APPLICATION_DECIDED_EVENT } from '../creator/application-page.tsx';
import { ApplicationStatusPill } from '../creator/application-status.tsx';
import { ApplicationRow, ApplicationsTable, DECIDED_HISTORY } from './application-table.tsx';

const PAGE_SIZE = 20;
const OUTCOMES = ['approved', 'rejected', 'withdrawn'] as const;
type Outcome = (typeof OUTCOMES)[number];

function isOutcome(value: string | null): value is Outcome {
  return OUTCOMES.some((outcome) => outcome === value);
}

/**
 * The review history: approved, rejected and withdrawn creator applications, latest decision first,
 * optionally one outcome (kept in the URL, so a filtered view can be shared). Updated live as
 * reviewers decide.
 */
export function DecidedApplicationsPage() {
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const outcomeParam = params.get('outcome');
  const outcome = isOutcome(outcomeParam) ? outcomeParam : undefined;
  const pages = useCursorPages(outcome ?? 'all');
  const list = useQuery({
    ...api.creators.listDecided.queryOptions({
      cursor: pages.cursor,
      limit: PAGE_SIZE,
      ...(outcome ? { status: outcome } : {}),
    }),
    placeholderData: keepPreviousData,
  });
  useRealtimeEvents((event) => {
    if (event.type === APPLICATION_DECIDED_EVENT || event.type === RESYNC_EVENT)
      void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
  });

  return (
    <section aria-labelledby="decided-title">
      <div className="section-header">
        <h2 id="decided-title">Decided creator applications</h2>
      </div>
      <div className="filters">
        <SelectField
          label="Outcome"
          value={outcome ?? ''}
          onChange={(event) => setParams(event.target.value ? { outcome: event.target.value } : {})}
        >
          <option value="">Any outcome</option>
          <option value="approved">Approved</option>
          <option value="rejected">Rejected</option>
          <option value="withdrawn">Withdrawn</option>
        </SelectField>
      </div>
      <ListPanel
        query={list}
        errorTitle="Could not load the decided applications"
        isEmpty={(data) => data.items.length === 0}
        empty={
          <p>
            {pages.page > 1
              ? 'No more applications.'
              : outcome
                ? `No application was ${outcome} yet.`
                : 'Nothing decided yet. Approved, rejected and withdrawn applications appear here.'}
          </p>
        }
        emptyTestId="decided-empty"
        pager={{ label: 'decided applications', pages }}
      >
        {(data) => (
          <ApplicationsTable
            label="Decided creator applications"
            columns={['Outcome', 'Decided', 'By', 'Reason or notes']}
          >
            {data.items.map((application) => (
              <ApplicationRow
                key={application.id}
                application={application}
                testId="decided-application"
                verb="Open"
                from={DECIDED_HISTORY}
              >
                <td>
                  <ApplicationStatusPill status={application.status} />
                </td>
                <td className="table__nowrap">
                  {(application.reviewedAt ?? application.withdrawnAt)?.toLocaleString() ?? '—'}
                </td>
                <td>
                  {application.status === 'withdrawn'
                    ? 'the applicant'
                    : (application.reviewerName ?? <span className="muted">a former member</span>)}
                </td>
                <td>
                  <span className="truncate-2">
                    {application.rejectionReason ?? application.reviewNotes ?? (
                      <span className="muted">—</span>
                    )}
                  </span>
                </td>
              </ApplicationRow>
            ))}
          </ApplicationsTable>
        )}
      </ListPanel>
    </section>
  );
}
