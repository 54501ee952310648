import { TRPCClientError } from '@trpc/client';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../lib/trpc.ts';
import { ErrorMessage } from './error-message.tsx';

/** A failed call as the tRPC client hands it to a page. */
function apiError(code: string, httpStatus: number, message: string, fieldErrors?: Record<string, string[]>) {
  const error = new TRPCClientError<AppRouter>(message);
  Object.assign(error, {
    data: { code, httpStatus, requestId: 'req-42', ...(fieldErrors ? { fieldErrors } : {}) },
  });
  return error;
}

function render(props: Parameters<typeof ErrorMessage>[0]): string {
  return renderToStaticMarkup(createElement(ErrorMessage, props));
}

describe('ErrorMessage', () => {
  const invalid = apiError('VALIDATION_ERROR', 400, 'Invalid input at email: Enter a valid email address', {
    email: ['Enter a valid email address'],
    orgSlug: ['Enter at least 2 characters'],
    _: ['Give either the organisation to join or the name of a new one, not both'],
  });

  it('shows no banner when every field error sits next to its input', () => {
    const onlyInline = apiError('VALIDATION_ERROR', 400, 'Invalid input at email: …', {
      email: ['Enter a valid email address'],
    });
    expect(render({ error: onlyInline, inlineFields: ['email'] })).toBe('');
  });

  it('lists the rest by label, or as the bare message: never the key, never the summary', () => {
    const html = render({
      error: invalid,
      inlineFields: ['email'],
      fieldLabels: { orgSlug: 'Organisation ID' },
    });
    expect(html).toContain('Organisation ID: Enter at least 2 characters');
    expect(html).toContain(
      '<li>Give either the organisation to join or the name of a new one, not both</li>',
    );
    expect(html).not.toContain('Enter a valid email address');
    expect(html).not.toMatch(/orgSlug|<code>|Invalid input at|req-42/);
  });

  it('shows the code and request id only for a failure on our side', () => {
    const internal = apiError('INTERNAL', 500, 'Something went wrong on our side. The error has been logged');
    expect(render({ error: internal })).toMatch(/<code>INTERNAL<\/code>.*request req-42/);
    const missing = apiError('NOT_FOUND', 404, 'Dataset not found');
    expect(render({ error: missing })).not.toMatch(/NOT_FOUND<\/code>|req-42/);
  });

  it('offers no Try again for a not-found answer', () => {
    const missing = apiError('NOT_FOUND', 404, 'Dataset not found');
    expect(render({ error: missing, onRetry: () => undefined })).not.toContain('Try again');
    const down = apiError('UNAVAILABLE', 503, 'The service is briefly unavailable');
    expect(render({ error: down, onRetry: () => undefined })).toContain('Try again');
  });
});
