import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { FieldError, TextAreaField, TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { type RouterInputs, trpc } from '../../lib/trpc.ts';
import type { MyApplication } from './application-status.tsx';

type ApplyInput = RouterInputs['creators']['submitApplication'];

/** The API takes at most this many social links (ZApplyInput). */
const MAX_SOCIAL_LINKS = 10;

interface SocialLinkDraft {
  /** Stable key for React while rows are added and removed. */
  key: number;
  platform: string;
  url: string;
}

/** Inputs the form shows errors next to; anything else goes to the message above the buttons. */
function inlineFieldsOf(sentLinks: number): string[] {
  return [
    'experience',
    'portfolioUrl',
    'motivation',
    'socialLinks',
    'additionalInfo',
    ...Array.from({ length: sentLinks }, (_, index) => [
      `socialLinks.${index}.platform`,
      `socialLinks.${index}.url`,
    ]).flat(),
  ];
}

/**
 * `creators.submitApplication` (SPEC §3's `creators.apply`): experience, portfolio, motivation,
 * social links and anything else the reviewers should know. The API checks every field; its
 * messages show next to the inputs.
 */
export function ApplyForm({ onSubmitted }: { onSubmitted: (application: MyApplication) => void }) {
  const [experience, setExperience] = useState('');
  const [portfolioUrl, setPortfolioUrl] = useState('');
  const [motivation, setMotivation] = useState('');
  const [additionalInfo, setAdditionalInfo] = useState('');
  const [links, setLinks] = useState<SocialLinkDraft[]>([]);
  const [nextKey, setNextKey] = useState(1);
  // Rows left completely empty are not sent: the API's `socialLinks.<n>` errors count sent rows only.
  const [sentKeys, setSentKeys] = useState<number[]>([]);
  const submit = useMutation({
    mutationFn: (input: ApplyInput) => trpc.creators.submitApplication.mutate(input),
    onSuccess: onSubmitted,
  });
  const errors = fieldErrorsOf(submit.error);

  const updateLink = (key: number, patch: Partial<SocialLinkDraft>) =>
    setLinks((current) => current.map((link) => (link.key === key ? { ...link, ...patch } : link)));

  return (
    <Form
      error={submit.error}
      className="form"
      noValidate
      aria-labelledby="apply-title"
      onSubmit={(event) => {
        event.preventDefault();
        const sent = links.filter((link) => link.platform.trim() || link.url.trim());
        setSentKeys(sent.map((link) => link.key));
        const input: ApplyInput = {
          experience,
          motivation,
          socialLinks: sent.map((link) => ({ platform: link.platform, url: link.url })),
        };
        if (portfolioUrl.trim()) input.portfolioUrl = portfolioUrl;
        if (additionalInfo.trim()) input.additionalInfo = additionalInfo;
        submit.mutate(input);
      }}
    >
      <TextAreaField
        label="Experience"
        name="experience"
        required
        rows={5}
        hint="What you have made or done before: formats, topics, audiences (10 to 5,000 characters)."
        value={experience}
        onChange={(event) => setExperience(event.target.value)}
        errors={errors.experience}
      />
      <TextField
        label="Portfolio URL"
        name="portfolioUrl"
        type="url"
        inputMode="url"
        placeholder="https://"
        hint="Optional: a page that shows your work."
        value={portfolioUrl}
        onChange={(event) => setPortfolioUrl(event.target.value)}
        errors={errors.portfolioUrl}
      />
      <TextAreaField
        label="Motivation"
        name="motivation"
        required
        rows={5}
        hint="Why you want to create here, and what you would publish (10 to 5,000 characters)."
        value={motivation}
        onChange={(event) => setMotivation(event.target.value)}
        errors={errors.motivation}
      />
      <fieldset className={`field social-links${errors.socialLinks ? ' field--invalid' : ''}`}>
        <legend className="field__label">Social links</legend>
        <p className="field__hint">Optional: where people already follow you (up to {MAX_SOCIAL_LINKS}).</p>
        {links.length > 0 && (
          <ol className="social-links__list">
            {links.map((link, index) => {
              const sentAs = sentKeys.indexOf(link.key);
              return (
                <li key={link.key} className="social-links__row">
                  <TextField
                    label={`Platform ${index + 1}`}
                    placeholder="YouTube, Instagram…"
                    value={link.platform}
                    onChange={(event) => updateLink(link.key, { platform: event.target.value })}
                    errors={sentAs >= 0 ? errors[`socialLinks.${sentAs}.platform`] : undefined}
                  />
                  <TextField
                    label={`Link ${index + 1}`}
                    type="url"
                    inputMode="url"
                    placeholder="https://"
                    value={link.url}
                    onChange={(event) => updateLink(link.key, { url: event.target.value })}
                    errors={sentAs >= 0 ? errors[`socialLinks.${sentAs}.url`] : undefined}
                  />
                  <button
                    type="button"
                    className="button button--quiet"
                    aria-label={`Remove social link ${index + 1}`}
                    onClick={() => setLinks((current) => current.filter((item) => item.key !== link.key))}
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ol>
        )}
        <div>
          <button
            type="button"
            className="button button--quiet"
            disabled={links.length >= MAX_SOCIAL_LINKS}
            onClick={() => {
              setLinks((current) => [...current, { key: nextKey, platform: '', url: '' }]);
              setNextKey((key) => key + 1);
            }}
          >
            Add a social link
          </button>
        </div>
        <FieldError errors={errors.socialLinks} />
      </fieldset>
      <TextAreaField
        label="Additional information"
        name="additionalInfo"
        rows={3}
        hint="Optional: anything else the reviewers should know."
        value={additionalInfo}
        onChange={(event) => setAdditionalInfo(event.target.value)}
        errors={errors.additionalInfo}
      />
      {submit.isError && (
        <ErrorMessage
          error={submit.error}
          title="Could not submit the application"
          inlineFields={inlineFieldsOf(sentKeys.length)}
        />
      )}
      <div className="form__actions">
        <button type="submit" className="button" disabled={submit.isPending}>
          {submit.isPending ? 'Submitting…' : 'Submit application'}
        </button>
      </div>
    </Form>
  );
}
