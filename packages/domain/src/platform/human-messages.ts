import { z } from 'zod';

/**
 * What a person reads when a value fails a zod schema: "Enter at least 8 characters", "Enter a valid
 * email address", "This field is required" — instead of zod's own wording ("Too small: expected
 * string to have >=8 characters"), which names types and uses symbols. The message appears next to
 * its input, so it never names the field itself.
 *
 * It is zod's `customError`, the last map consulted: a message a schema writes itself
 * (`z.string().min(1, 'Enter your name')`, a refine's `message`) still wins. Returning `undefined`
 * would fall back to zod's English, which every branch below avoids.
 */
export function humanZodMessage(issue: z.core.$ZodRawIssue): string {
  const input: unknown = issue.input;
  const missing = input === undefined || input === null || input === '';
  switch (issue.code) {
    case 'invalid_type':
      if (missing) return 'This field is required';
      return ENTER_TYPE[issue.expected] ?? 'Enter a valid value';
    case 'invalid_value': {
      if (missing) return 'This field is required';
      const values = issue.values.map(String);
      if (values.length === 1)
        return values[0] === 'true' ? 'Tick this box to continue' : `Enter “${values[0]}”`;
      return `Choose one of: ${values.join(', ')}`;
    }
    case 'too_small':
      if (missing) return 'This field is required';
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false, issue.exact === true);
    case 'too_big':
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false, issue.exact === true);
    case 'invalid_format':
      if (missing) return 'This field is required';
      return invalidFormat(issue);
    case 'not_multiple_of':
      return Number(issue.divisor) === 1
        ? 'Enter a whole number'
        : `Enter a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return 'This form sent something it does not accept; reload the page and try again';
    case 'invalid_union':
      return missing ? 'This field is required' : 'Enter a valid value';
    case 'invalid_key':
    case 'invalid_element':
      return 'Some entries are not valid';
    default:
      return missing ? 'This field is required' : 'Enter a valid value';
  }
}

const ENTER_TYPE: Record<string, string> = {
  string: 'Enter text',
  number: 'Enter a number',
  int: 'Enter a whole number',
  bigint: 'Enter a whole number',
  boolean: 'Choose yes or no',
  date: 'Enter a valid date',
  array: 'Choose at least one option',
};

/** The thing counted for a length limit, by zod's `origin`. */
const COUNTED: Record<string, [one: string, many: string]> = {
  string: ['character', 'characters'],
  array: ['item', 'items'],
  set: ['item', 'items'],
  map: ['entry', 'entries'],
  file: ['byte', 'bytes'],
};

function counted(n: number, origin: string): string {
  const [one, many] = COUNTED[origin] ?? ['item', 'items'];
  return `${n} ${n === 1 ? one : many}`;
}

function tooSmall(origin: string, minimum: number, inclusive: boolean, exact: boolean): string {
  if (origin in COUNTED) {
    if (origin === 'string' && minimum === 1 && inclusive) return 'This field is required';
    if (origin === 'file')
      return minimum <= 1 ? 'The file is empty' : `Choose a file of at least ${counted(minimum, origin)}`;
    const verb = origin === 'string' ? 'Enter' : 'Choose';
    if (exact) return `${verb} exactly ${counted(minimum, origin)}`;
    if (origin !== 'string' && minimum === 1 && inclusive) return 'Choose at least one';
    return `${verb} at least ${counted(inclusive ? minimum : minimum + 1, origin)}`;
  }
  if (origin === 'date') return `Choose a date ${inclusive ? 'on or after' : 'after'} ${dateOf(minimum)}`;
  return inclusive ? `Enter a number no smaller than ${minimum}` : `Enter a number larger than ${minimum}`;
}

function tooBig(origin: string, maximum: number, inclusive: boolean, exact: boolean): string {
  if (origin in COUNTED) {
    if (origin === 'file') return `Choose a file no larger than ${counted(maximum, origin)}`;
    const verb = origin === 'string' ? 'Enter' : 'Choose';
    if (exact) return `${verb} exactly ${counted(maximum, origin)}`;
    return `${verb} no more than ${counted(inclusive ? maximum : maximum - 1, origin)}`;
  }
  if (origin === 'date') return `Choose a date ${inclusive ? 'on or before' : 'before'} ${dateOf(maximum)}`;
  return inclusive ? `Enter a number no larger than ${maximum}` : `Enter a number smaller than ${maximum}`;
}

function dateOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

const FORMATS: Record<string, string> = {
  email: 'Enter a valid email address',
  url: 'Enter a full web address, such as https://example.com',
  datetime: 'Enter a valid date and time',
  date: 'Enter a valid date',
  time: 'Enter a valid time',
  duration: 'Enter a valid duration',
  ipv4: 'Enter a valid IP address',
  ipv6: 'Enter a valid IP address',
  cidrv4: 'Enter a valid IP address range',
  cidrv6: 'Enter a valid IP address range',
  json_string: 'Enter valid JSON',
  e164: 'Enter a phone number in international form, such as +441632960000',
  emoji: 'Enter an emoji',
};

/** Identifiers a person never types: a malformed one means a stale link or page. */
const IDENTIFIER_FORMATS = new Set([
  'uuid',
  'uuidv4',
  'uuidv6',
  'guid',
  'nanoid',
  'cuid',
  'cuid2',
  'ulid',
  'xid',
  'ksuid',
  'jwt',
]);

function invalidFormat(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidStringFormat>): string {
  const known = FORMATS[issue.format];
  if (known) return known;
  if (IDENTIFIER_FORMATS.has(issue.format)) return 'This link or reference is not valid';
  const { prefix, suffix, includes } = issue as { prefix?: string; suffix?: string; includes?: string };
  if (issue.format === 'starts_with' && prefix !== undefined) return `Start with “${prefix}”`;
  if (issue.format === 'ends_with' && suffix !== undefined) return `End with “${suffix}”`;
  if (issue.format === 'includes' && includes !== undefined) return `Include “${includes}”`;
  return 'Check the format of this value';
}

/**
 * Makes `humanZodMessage` zod's message map for this process. Called once when
 * `platform/validate-input.ts` is first imported — the module every zod failure goes through on its
 * way to field errors (the API's input parsing, `validateInput` in use cases and the worker) — so no
 * entry point can forget it.
 */
export function installHumanZodMessages(): void {
  z.config({ customError: humanZodMessage });
}
