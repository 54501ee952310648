import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField, TextField } from '../../components/form-field.tsx';
import { ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, trpc } from '../../lib/trpc.ts';

type Status = 'open' | 'done' | 'all';
type Priority = 'low' | 'normal' | 'high';

/** Todos: your own list, nobody else sees it. */
export function TodosPage() {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('open');
  const [label, setLabel] = useState('');
  const pages = useCursorPages(`todos:${status}:${label}`);
  const list = useQuery({
    ...api.todos.list.queryOptions({
      status,
      cursor: pages.cursor,
      limit: 25,
      ...(label.trim() ? { label: label.trim() } : {}),
    }),
    placeholderData: keepPreviousData,
  });

  const [title, setTitle] = useState('');
  const [dueDate, setDueDate] = useState('');
  const [priority, setPriority] = useState<Priority>('normal');
  const [labels, setLabels] = useState('');
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.todos.list.queryKey() });

  const create = useMutation({
    mutationFn: () =>
      trpc.todos.create.mutate({
        title,
        priority,
        dueDate: dueDate || null,
        labels: labels
          .split(',')
          .map((value) => value.trim())
          .filter(Boolean),
      }),
    onSuccess: async () => {
      setTitle('');
      setDueDate('');
      setLabels('');
      await refresh();
    },
  });
  const change = useMutation({
    mutationFn: async ({
      id,
      action,
    }: {
      id: string;
      action: 'complete' | 'reopen' | 'delete';
    }): Promise<void> => {
      await trpc.todos[action].mutate({ id });
    },
    onSuccess: refresh,
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const fieldErrors = fieldErrorsOf(create.error);

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Todos</h1>
          <p className="muted">Only you see these.</p>
        </div>
      </header>
      <section className="panel" aria-labelledby="new-todo">
        <h2 id="new-todo">New todo</h2>
        <Form error={create.error} className="form" noValidate onSubmit={onSubmit}>
          <TextField
            label="What needs doing"
            name="title"
            required
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            errors={fieldErrors.title}
          />
          <TextField
            label="Due"
            name="dueDate"
            type="date"
            value={dueDate}
            onChange={(e) => setDueDate(e.target.value)}
            errors={fieldErrors.dueDate}
          />
          <SelectField
            label="Priority"
            name="priority"
            value={priority}
            onChange={(e) => setPriority(e.target.value as Priority)}
          >
            <option value="low">Low</option>
            <option value="normal">Normal</option>
            <option value="high">High</option>
          </SelectField>
          <TextField
            label="Labels"
            name="labels"
            hint="Separated by commas"
            value={labels}
            onChange={(e) => setLabels(e.target.value)}
          />
          {create.isError && (
            <ErrorMessage
              error={create.error}
              title="Could not add the todo"
              inlineFields={['title', 'dueDate']}
            />
          )}
          <div className="form__actions">
            <button type="submit" className="button" disabled={create.isPending || !title.trim()}>
              {create.isPending ? 'Adding…' : 'Add'}
            </button>
          </div>
        </Form>
      </section>
      <div className="filters">
        <SelectField
          label="Show"
          name="status"
          value={status}
          onChange={(e) => setStatus(e.target.value as Status)}
        >
          <option value="open">Open</option>
          <option value="done">Done</option>
          <option value="all">All</option>
        </SelectField>
        <TextField label="Label" name="label" value={label} onChange={(e) => setLabel(e.target.value)} />
      </div>
      {change.isError && <ErrorMessage error={change.error} title="Could not change the todo" />}
      <ListPanel
        query={list}
        errorTitle="Could not load your todos"
        isEmpty={(data) => data.items.length === 0 && pages.page === 1}
        empty={
          <p className="muted">
            {status === 'done' ? 'Nothing done yet.' : 'Nothing to do. Add something above.'}
          </p>
        }
        emptyTestId="todos-empty"
        pager={{ label: 'todos', pages }}
      >
        {(data) => (
          <ul className="todo-list" data-testid="todo-list">
            {data.items.map((todo) => (
              <li key={todo.id} className="todo-list__item" data-status={todo.status}>
                <input
                  type="checkbox"
                  checked={todo.status === 'done'}
                  aria-label={todo.status === 'done' ? `Reopen “${todo.title}”` : `Mark “${todo.title}” done`}
                  onChange={() =>
                    change.mutate({ id: todo.id, action: todo.status === 'done' ? 'reopen' : 'complete' })
                  }
                  disabled={change.isPending}
                />
                <span className="todo-list__title">{todo.title}</span>
                {todo.priority !== 'normal' && <span className="tag">{todo.priority}</span>}
                {todo.labels.map((value) => (
                  <span key={value} className="chip">
                    {value}
                  </span>
                ))}
                {todo.dueDate && <span className="muted">due {todo.dueDate}</span>}
                <button
                  type="button"
                  className="button button--quiet"
                  onClick={() => change.mutate({ id: todo.id, action: 'delete' })}
                  disabled={change.isPending}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </ListPanel>
    </section>
  );
}
