import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField, TextAreaField, TextField } from '../../components/form-field.tsx';
import { describeError, fieldErrorsOf } from '../../lib/errors.ts';
import { api, trpc } from '../../lib/trpc.ts';
import { uploadFile } from '../files/upload.ts';

type Visibility = 'org' | 'private';

/** How colleagues see you: display name, bio, links, avatar and visibility. */
export function PublicProfilePanel() {
  const queryClient = useQueryClient();
  const profile = useQuery(api.profiles.me.queryOptions());
  const [displayName, setDisplayName] = useState('');
  const [bio, setBio] = useState('');
  const [links, setLinks] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('org');
  const [saved, setSaved] = useState(false);
  const [avatarProblem, setAvatarProblem] = useState<string | null>(null);
  const [avatarProgress, setAvatarProgress] = useState<number | null>(null);

  useEffect(() => {
    if (!profile.data) return;
    setDisplayName(profile.data.displayName);
    setBio(profile.data.bio);
    setLinks(profile.data.links.map((link) => `${link.label} ${link.url}`).join('\n'));
    setVisibility(profile.data.visibility);
  }, [profile.data]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: api.profiles.me.queryKey() });
  const save = useMutation({
    mutationFn: () =>
      trpc.profiles.upsertMe.mutate({
        displayName,
        bio,
        visibility,
        links: links
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean)
          .map((line) => {
            const at = line.lastIndexOf(' ');
            return at > 0
              ? { label: line.slice(0, at).trim(), url: line.slice(at + 1) }
              : { label: line, url: line };
          }),
      }),
    onSuccess: async () => {
      setSaved(true);
      await refresh();
    },
  });

  async function onAvatar(file: File) {
    setAvatarProblem(null);
    setAvatarProgress(0);
    try {
      const uploaded = await uploadFile(file, setAvatarProgress);
      await trpc.profiles.setAvatar.mutate({ fileId: uploaded.id });
      await refresh();
    } catch (error) {
      setAvatarProblem(describeError(error).message);
    } finally {
      setAvatarProgress(null);
    }
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    save.mutate();
  };
  const errors = fieldErrorsOf(save.error);

  return (
    <section className="panel" aria-labelledby="public-profile-title">
      <h2 id="public-profile-title">How colleagues see you</h2>
      {profile.isError ? (
        <ErrorMessage
          error={profile.error}
          title="Could not load your profile"
          onRetry={() => void profile.refetch()}
        />
      ) : profile.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="form__actions">
            {profile.data.avatarUrl ? (
              <img
                src={profile.data.avatarUrl}
                alt="Your avatar"
                className="avatar avatar--large"
                data-testid="profile-avatar"
              />
            ) : (
              <span className="muted">No avatar yet.</span>
            )}
            <label className="file-picker">
              <span>Choose an image</span>
              <input
                type="file"
                accept="image/png,image/jpeg,image/gif,image/webp"
                data-testid="avatar-input"
                onChange={(event) => {
                  const file = event.target.files?.[0];
                  event.target.value = '';
                  if (file) void onAvatar(file);
                }}
              />
            </label>
            {profile.data.avatarFileId && (
              <button
                type="button"
                className="button button--quiet"
                onClick={() => void trpc.profiles.setAvatar.mutate({ fileId: null }).then(refresh)}
              >
                Remove avatar
              </button>
            )}
          </div>
          {avatarProgress !== null && <progress max={1} value={avatarProgress} aria-label="Avatar upload" />}
          {avatarProblem && (
            <p className="error-text" role="alert">
              {avatarProblem}
            </p>
          )}
          <Form error={save.error} className="form" noValidate onSubmit={onSubmit}>
            <TextField
              label="Display name"
              name="displayName"
              required
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              errors={errors.displayName}
            />
            <TextAreaField
              label="About you"
              name="bio"
              value={bio}
              onChange={(e) => setBio(e.target.value)}
              errors={errors.bio}
            />
            <TextAreaField
              label="Links"
              name="links"
              hint="One per line: a label, a space, then the full link (https://…)"
              value={links}
              onChange={(e) => setLinks(e.target.value)}
              errors={Object.entries(errors)
                .filter(([field]) => field.startsWith('links'))
                .flatMap(([, messages]) => messages)}
            />
            <SelectField
              label="Who can see it"
              name="visibility"
              value={visibility}
              onChange={(e) => setVisibility(e.target.value as Visibility)}
            >
              <option value="org">Everyone in the organisation</option>
              <option value="private">Only me</option>
            </SelectField>
            {save.isError && (
              <ErrorMessage
                error={save.error}
                title="Could not save your profile"
                inlineFields={Object.keys(errors)}
              />
            )}
            {saved && <p className="muted">Profile saved.</p>}
            <div className="form__actions">
              <button type="submit" className="button" disabled={save.isPending || !displayName.trim()}>
                {save.isPending ? 'Saving…' : 'Save profile'}
              </button>
            </div>
          </Form>
        </>
      )}
    </section>
  );
}
