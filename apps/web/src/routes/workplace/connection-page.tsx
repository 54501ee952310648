import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField, TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, trpc } from '../../lib/trpc.ts';
import { useWorkplaceLive } from './workplace-common.tsx';

type Strategy = 'server_wins' | 'aims_wins' | 'newest_wins';

/** Workplace → AIMS connection: where the org's AIMS is, how conflicts resolve, and a real test. */
export function ConnectionPage() {
  const queryClient = useQueryClient();
  useWorkplaceLive();
  const current = useQuery(api.workplace.aims.get.queryOptions());
  const [form, setForm] = useState({
    baseUrl: '',
    cluster: 'common' as 'common' | 'c1',
    company: '',
    store: '',
    username: '',
    password: '',
    conflictStrategy: 'server_wins' as Strategy,
  });
  const configured = current.data?.configured ? current.data : null;
  // Fill the form from the stored connection once per saved version (live refetches keep edits).
  const version = configured ? configured.updatedAt.getTime() : 0;
  const [loaded, setLoaded] = useState(0);
  if (configured && loaded !== version) {
    setLoaded(version);
    setForm((f) => ({
      ...f,
      baseUrl: configured.baseUrl,
      cluster: configured.cluster,
      company: configured.company,
      store: configured.store,
      username: configured.username,
      conflictStrategy: configured.conflictStrategy,
    }));
  }
  const save = useMutation({
    mutationFn: () =>
      trpc.workplace.aims.configure.mutate({
        baseUrl: form.baseUrl,
        cluster: form.cluster,
        company: form.company,
        store: form.store,
        username: form.username,
        conflictStrategy: form.conflictStrategy,
        ...(form.password ? { password: form.password } : {}),
        ...(configured ? { fieldMapping: configured.fieldMapping } : {}),
      }),
    onSuccess: () => {
      setForm((f) => ({ ...f, password: '' }));
      void queryClient.invalidateQueries({ queryKey: api.workplace.pathKey() });
    },
  });
  const test = useMutation({
    mutationFn: () =>
      trpc.workplace.aims.test.mutate({
        baseUrl: form.baseUrl,
        cluster: form.cluster,
        company: form.company,
        store: form.store,
        username: form.username,
        ...(form.password ? { password: form.password } : {}),
      }),
  });
  const errors = fieldErrorsOf(save.error);
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  if (current.isError)
    return (
      <ErrorMessage
        error={current.error}
        title="Could not load the connection"
        onRetry={() => void current.refetch()}
      />
    );

  return (
    <Form error={save.error} className="form panel" onSubmit={submit}>
      {save.isError && (
        <ErrorMessage
          error={save.error}
          title="Could not save the connection"
          inlineFields={Object.keys(form)}
        />
      )}
      {save.isSuccess && <p role="status">Saved.</p>}
      <TextField
        label="AIMS address"
        hint="Scheme and host only, e.g. https://eu.common.solumesl.com"
        required
        value={form.baseUrl}
        onChange={set('baseUrl')}
        errors={errors.baseUrl}
      />
      <SelectField label="Cluster" value={form.cluster} onChange={set('cluster')}>
        <option value="common">common</option>
        <option value="c1">c1</option>
      </SelectField>
      <TextField
        label="Company"
        required
        value={form.company}
        onChange={set('company')}
        errors={errors.company}
      />
      <TextField label="Store" required value={form.store} onChange={set('store')} errors={errors.store} />
      <TextField
        label="Username"
        required
        value={form.username}
        onChange={set('username')}
        errors={errors.username}
        autoComplete="off"
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={
          configured
            ? 'Stored encrypted and never shown. Leave empty to keep it.'
            : 'Stored encrypted and never shown.'
        }
        value={form.password}
        onChange={set('password')}
        errors={errors.password}
      />
      <SelectField
        label="When AIMS and Atrium disagree"
        value={form.conflictStrategy}
        onChange={set('conflictStrategy')}
      >
        <option value="server_wins">Atrium wins</option>
        <option value="aims_wins">AIMS wins</option>
        <option value="newest_wins">The newer change wins</option>
      </SelectField>
      <div className="form__actions">
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        <button
          type="button"
          className="button button--quiet"
          disabled={test.isPending}
          onClick={() => test.mutate()}
        >
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
      </div>
      {test.isError && <ErrorMessage error={test.error} title="Could not test the connection" />}
      {test.data && (
        <p role="status" data-testid="aims-test-result" data-ok={test.data.ok}>
          {test.data.ok
            ? `Connected in ${test.data.ms} ms; the store holds ${test.data.articleCount} articles.`
            : `Could not connect: ${test.data.error}`}
        </p>
      )}
    </Form>
  );
}
