import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/errors.ts';
import { fieldErrorsFromZod, validateInput } from '../../src/platform/validate-input.ts';

/** The field errors a schema gives for an input, through the one mapping every layer uses. */
function errorsOf(schema: z.ZodType, input: unknown) {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected the input to fail');
  return fieldErrorsFromZod(parsed.error);
}

/** zod's own English: symbols, type names and "expected … received". */
const ZOD_JARGON = /Too small|Too big|Invalid input|Invalid option|expected|received|>=|<=|string|undefined/;

describe('zod failures in human words', () => {
  it.each([
    ['a missing string', z.object({ name: z.string() }), {}, 'This field is required'],
    [
      'an empty required string',
      z.object({ name: z.string().trim().min(1) }),
      { name: '  ' },
      'This field is required',
    ],
    [
      'an empty string under a longer minimum',
      z.object({ org: z.string().trim().min(2) }),
      { org: '' },
      'This field is required',
    ],
    ['a short string', z.object({ name: z.string().min(8) }), { name: 'abc' }, 'Enter at least 8 characters'],
    [
      'a long string',
      z.object({ name: z.string().max(3) }),
      { name: 'abcd' },
      'Enter no more than 3 characters',
    ],
    [
      'a one-character limit',
      z.object({ name: z.string().max(1) }),
      { name: 'ab' },
      'Enter no more than 1 character',
    ],
    [
      'an exact length',
      z.object({ code: z.string().length(6) }),
      { code: '12' },
      'Enter exactly 6 characters',
    ],
    ['an email', z.object({ email: z.email() }), { email: 'nope' }, 'Enter a valid email address'],
    [
      'a URL',
      z.object({ site: z.url() }),
      { site: 'nope' },
      'Enter a full web address, such as https://example.com',
    ],
    [
      'an enum',
      z.object({ kind: z.enum(['cron', 'interval']) }),
      { kind: 'x' },
      'Choose one of: cron, interval',
    ],
    ['a missing enum', z.object({ kind: z.enum(['cron', 'interval']) }), {}, 'This field is required'],
    [
      'a number too big',
      z.object({ n: z.number().max(100) }),
      { n: 101 },
      'Enter a number no larger than 100',
    ],
    ['a number too small', z.object({ n: z.number().min(1) }), { n: 0 }, 'Enter a number no smaller than 1'],
    ['a positive number', z.object({ n: z.number().positive() }), { n: 0 }, 'Enter a number larger than 0'],
    ['a fraction for an integer', z.object({ n: z.number().int() }), { n: 1.5 }, 'Enter a whole number'],
    ['text for a number', z.object({ n: z.coerce.number() }), { n: 'abc' }, 'Enter a number'],
    ['a wrong type', z.object({ n: z.number() }), { n: 'abc' }, 'Enter a number'],
    ['an empty list', z.object({ tags: z.array(z.string()).min(1) }), { tags: [] }, 'Choose at least one'],
    [
      'a long list',
      z.object({ tags: z.array(z.string()).max(2) }),
      { tags: ['a', 'b', 'c'] },
      'Choose no more than 2 items',
    ],
    [
      'a pattern',
      z.object({ slug: z.string().regex(/^[a-z]+$/) }),
      { slug: 'A!' },
      'Check the format of this value',
    ],
    ['a malformed id', z.object({ id: z.uuid() }), { id: 'nope' }, 'This link or reference is not valid'],
    ['a multiple', z.object({ n: z.number().multipleOf(5) }), { n: 3 }, 'Enter a multiple of 5'],
    ['a date-time', z.object({ at: z.iso.datetime() }), { at: 'soon' }, 'Enter a valid date and time'],
    ['an unticked box', z.object({ agree: z.literal(true) }), { agree: false }, 'Tick this box to continue'],
  ])('%s', (_case, schema, input, message) => {
    const errors = errorsOf(schema, input);
    const [field] = Object.keys(errors);
    expect(errors[field ?? '']).toEqual([message]);
    expect(message).not.toMatch(ZOD_JARGON);
  });

  it('keeps a message the schema writes itself', () => {
    const schema = z.object({
      name: z.string().min(1, 'Enter your name'),
      password: z.string().refine((p) => /\d/.test(p), { message: 'Use at least one digit' }),
    });
    expect(errorsOf(schema, { name: '', password: 'abc' })).toEqual({
      name: ['Enter your name'],
      password: ['Use at least one digit'],
    });
  });

  it('gives one message per field: the first problem found', () => {
    const schema = z.object({ password: z.string().min(8).regex(/\d/) });
    expect(errorsOf(schema, { password: 'abc' })).toEqual({ password: ['Enter at least 8 characters'] });
  });

  it('names stray keys without naming them, for the input as a whole', () => {
    const errors = errorsOf(z.object({ a: z.string() }).strict(), { a: 'x', internalFlag: true });
    expect(Object.keys(errors)).toEqual(['_']);
    expect(errors._?.[0]).not.toMatch(/internalFlag/);
  });

  it('validateInput answers the same words in its VALIDATION_ERROR', () => {
    const schema = z.object({ email: z.email() });
    try {
      validateInput(schema, { email: 'x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toBe('Enter a valid email address');
      expect((error as ValidationError).fieldErrors).toEqual({ email: ['Enter a valid email address'] });
    }
  });
});
