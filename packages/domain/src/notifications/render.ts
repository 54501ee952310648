import { z } from 'zod';
import { type FieldErrors, ValidationError } from '../errors.ts';

/**
 * Notification templates: plain text with `{{name}}` placeholders (whitespace inside the braces is
 * allowed). Substitution is one pass — a value that itself contains `{{x}}` is never expanded — and
 * every placeholder must have a value, or the send fails with 400 VALIDATION_ERROR.
 *
 * Escaping (SPEC §6, no HTML injection):
 * - text (the email's text part, in-app bodies): control characters are removed from values, line
 *   breaks normalised; the web app renders in-app text as text;
 * - subject: one line (breaks become spaces);
 * - HTML (the email's HTML part): derived from the rendered text by escaping all of it — template
 *   text and values alike — then paragraphs from blank lines, `<br>` from single breaks, and http(s)
 *   URLs turned into links. Neither a value nor a template can place markup in a message.
 */

/** A placeholder name: `code`, `resetUrl`, `order_id`, `user.name`. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export const MAX_SUBJECT_LENGTH = 300;
export const MAX_BODY_LENGTH = 20_000;
export const MAX_VARIABLE_LENGTH = 10_000;
export const MAX_VARIABLES = 50;

export const ZVariableName = z
  .string()
  .max(64)
  .regex(VARIABLE_NAME, { message: 'Variable names are letters, digits and underscores' });

export const ZVariableValue = z.union([
  z.string().max(MAX_VARIABLE_LENGTH),
  z.number().refine(Number.isFinite, { message: 'Numbers must be finite' }),
  z.boolean(),
]);

/** Variables a caller supplies: names to text, numbers or booleans. */
export const ZNotificationVariables = z
  .record(ZVariableName, ZVariableValue)
  .refine((value) => Object.keys(value).length <= MAX_VARIABLES, {
    message: `At most ${MAX_VARIABLES} variables`,
  });
export type NotificationVariables = z.infer<typeof ZNotificationVariables>;

/** The placeholder names a template text uses, in order of first use; throws on a malformed one. */
export function placeholdersOf(text: string, field = 'body'): string[] {
  const names: string[] = [];
  const bad: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!VARIABLE_NAME.test(name)) bad.push(match[0]);
    else if (!names.includes(name)) names.push(name);
  }
  // Braces left over after removing well-formed placeholders: `{{name}`, `{{ {x} }}`…
  const rest = text.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) bad.push('unbalanced {{ or }}');
  if (bad.length > 0) {
    throw new ValidationError('The template has malformed placeholders', {
      [field]: [`Malformed placeholder: ${bad.join(', ')}`],
    });
  }
  return names;
}

/** Removes control characters except tab and line feed; CRLF and CR become LF. */
function cleanText(value: string): string {
  return (
    value
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point.
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029]/g, '')
  );
}

function valueText(value: string | number | boolean): string {
  return cleanText(typeof value === 'string' ? value : String(value));
}

export interface TemplateSource {
  subject: string;
  body: string;
}

export interface RenderedNotification {
  /** One line. */
  subject: string;
  /** Plain text (LF line breaks). */
  body: string;
}

/**
 * Renders a subject and body with `variables`. A placeholder without a value (or with an empty or
 * blank text) is a VALIDATION_ERROR naming each missing variable (`variables.<name>`). Extra
 * variables are ignored.
 */
export function renderTemplate(
  template: TemplateSource,
  variables: Readonly<Record<string, string | number | boolean>>,
): RenderedNotification {
  const missing = new Set<string>();
  const substitute = (text: string, field: string) => {
    placeholdersOf(text, field);
    return text.replace(PLACEHOLDER, (_whole, name: string) => {
      const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
      // A value left empty is as missing as no value: "Your code is ." is a broken message.
      if (value === undefined || (typeof value === 'string' && value.trim() === '')) {
        missing.add(name);
        return '';
      }
      return valueText(value);
    });
  };
  const subject = substitute(template.subject, 'subject');
  const body = substitute(template.body, 'body');
  if (missing.size > 0) {
    const fieldErrors: FieldErrors = {};
    for (const name of missing) fieldErrors[`variables.${name}`] = [`Fill in “${name}”: the message uses it`];
    throw new ValidationError(
      `Missing template variable${missing.size > 1 ? 's' : ''}: ${[...missing].join(', ')}`,
      fieldErrors,
    );
  }
  const oneLine = cleanText(subject)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  const text = cleanText(body);
  const errors: FieldErrors = {};
  if (oneLine.length === 0) errors.subject = ['The subject is empty once rendered'];
  if (oneLine.length > MAX_SUBJECT_LENGTH)
    errors.subject = [`The subject is longer than ${MAX_SUBJECT_LENGTH} characters once rendered`];
  if (text.trim().length === 0) errors.body = ['The body is empty once rendered'];
  if (text.length > MAX_BODY_LENGTH)
    errors.body = [`The body is longer than ${MAX_BODY_LENGTH} characters once rendered`];
  if (Object.keys(errors).length > 0)
    throw new ValidationError('The rendered notification is invalid', errors);
  return { subject: oneLine, body: text };
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

// An http(s) URL in already-escaped text: stops at whitespace and at escaped quotes or brackets.
const ESCAPED_URL = /https?:\/\/(?:(?!&quot;|&#39;|&lt;|&gt;)[^\s<>"'])+/g;
// Punctuation that ends a sentence rather than the URL.
const TRAILING_PUNCTUATION = /[.,;:!?)]+$/;

function linkify(escaped: string): string {
  return escaped.replace(ESCAPED_URL, (url) => {
    const trailing = TRAILING_PUNCTUATION.exec(url)?.[0] ?? '';
    const href = trailing ? url.slice(0, -trailing.length) : url;
    return `<a href="${href}">${href}</a>${trailing}`;
  });
}

/** The HTML twin of a rendered text body: everything escaped, then paragraphs, breaks and links. */
export function textToHtml(text: string): string {
  const paragraphs = text
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.length > 0)
    .map((paragraph) => `<p>${linkify(escapeHtml(paragraph)).replaceAll('\n', '<br>')}</p>`);
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">${paragraphs.join(
    '',
  )}</body></html>`;
}
