import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Form } from '../../components/form.tsx';
import { JobsList } from './jobs-list.tsx';

/** The search box of the queues page: a job id or payload text, looked for in every queue. */
export function JobSearchForm({ initial = '' }: { initial?: string }) {
  const navigate = useNavigate();
  const [text, setText] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const q = text.trim();
    if (q) void navigate(`/ops/jobs?q=${encodeURIComponent(q)}`);
  };
  return (
    <Form className="ops-search" aria-label="Job search" onSubmit={submit}>
      <label className="field__label" htmlFor="ops-job-search">
        Find a job in every queue
      </label>
      <div className="ops-search__row">
        <input
          id="ops-job-search"
          className="input"
          type="search"
          value={text}
          placeholder='a job id, {"type":"OrgCreated"} or any text in a payload'
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit" className="button">
          Find
        </button>
      </div>
    </Form>
  );
}

/** `/ops/jobs?q=…`: the jobs of every queue matching the search, newest first, each with its queue. */
export function JobSearchPage() {
  const [params] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  return (
    <div className="ops-section">
      <header className="ops-section__header">
        <h2>Jobs in every queue</h2>
      </header>
      <JobSearchForm key={q} initial={q} />
      {q ? (
        <JobsList search={q} emptyText={`No job in any queue matches “${q}”.`} />
      ) : (
        <p className="muted">Enter a job id or some text from its payload.</p>
      )}
    </div>
  );
}
