import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import { escapeHtml, placeholdersOf, renderTemplate, textToHtml } from '../../src/notifications/render.ts';

describe('template rendering', () => {
  it('substitutes {{var}} placeholders, with or without inner spaces, numbers and booleans as text', () => {
    const rendered = renderTemplate(
      { subject: 'Hi {{ name }}', body: 'Code {{code}}, valid {{minutes}} min, admin: {{admin}}' },
      { name: 'Ada', code: '123456', minutes: 15, admin: false },
    );
    expect(rendered).toEqual({ subject: 'Hi Ada', body: 'Code 123456, valid 15 min, admin: false' });
  });

  it('substitutes in one pass: a value that looks like a placeholder stays literal', () => {
    const rendered = renderTemplate({ subject: 'x', body: '{{a}} and {{b}}' }, { a: '{{b}}', b: 'B' });
    expect(rendered.body).toBe('{{b}} and B');
  });

  it('a variable the template uses but the caller did not give is a VALIDATION_ERROR per variable', () => {
    let error: unknown;
    try {
      renderTemplate({ subject: 'Hello {{name}}', body: '{{code}} {{name}}' }, { other: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('VALIDATION_ERROR');
    expect((error as ValidationError).fieldErrors).toEqual({
      'variables.name': ['Fill in “name”: the message uses it'],
      'variables.code': ['Fill in “code”: the message uses it'],
    });
  });

  it('refuses variables left empty or blank, before anything is sent', () => {
    let error: unknown;
    try {
      renderTemplate(
        { subject: 'Code', body: 'Your code is {{code}} for {{site}}.' },
        { code: '', site: '  ' },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fieldErrors).toEqual({
      'variables.code': ['Fill in “code”: the message uses it'],
      'variables.site': ['Fill in “site”: the message uses it'],
    });
    // Zero and false are values.
    expect(renderTemplate({ subject: 's', body: '{{n}} {{b}}' }, { n: 0, b: false }).body).toBe('0 false');
  });

  it('does not read inherited properties as variables', () => {
    expect(() => renderTemplate({ subject: 's', body: '{{constructor}}' }, {})).toThrow(ValidationError);
  });

  it('keeps the subject on one line and removes control characters from values', () => {
    const rendered = renderTemplate(
      { subject: 'Re: {{title}}', body: 'Line {{v}}' },
      { title: 'one\r\nBcc: evil@example.com\nthree', v: 'a\u0000b\u0007c\u001bd\r\ne' },
    );
    expect(rendered.subject).toBe('Re: one Bcc: evil@example.com three');
    expect(rendered.body).toBe('Line abcd\ne');
  });

  it('rejects malformed placeholders', () => {
    expect(() => placeholdersOf('Hello {{na me}}')).toThrow(ValidationError);
    expect(() => placeholdersOf('Hello {{name}')).toThrow(ValidationError);
    expect(() => placeholdersOf('Hello {{}}')).toThrow(ValidationError);
    expect(placeholdersOf('{{a}} {{ b }} {{a}} {{user.name}}')).toEqual(['a', 'b', 'user.name']);
  });

  it('refuses a notification that renders empty', () => {
    expect(() => renderTemplate({ subject: '{{s}}', body: 'body' }, { s: '  ' })).toThrow(ValidationError);
  });
});

describe('HTML twin of a text body', () => {
  it('escapes everything: no value can place markup in the message', () => {
    const { body } = renderTemplate(
      { subject: 's', body: 'Hello {{name}},\n\nYour note: {{note}}' },
      { name: '<img src=x onerror=alert(1)>', note: '"quoted" & \'single\' </p><script>alert(1)</script>' },
    );
    const html = textToHtml(body);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('</p><script');
    expect(html).toContain('Hello &lt;img src=x onerror=alert(1)&gt;,');
    expect(html).toContain('&quot;quoted&quot; &amp; &#39;single&#39; &lt;/p&gt;&lt;script&gt;');
  });

  it('makes paragraphs, line breaks and http(s) links, with the sentence punctuation outside the link', () => {
    const html = textToHtml('First\nsecond line\n\nOpen https://atrium.example/reset?token=a&b=c. Done');
    expect(html).toContain('<p>First<br>second line</p>');
    expect(html).toContain(
      '<a href="https://atrium.example/reset?token=a&amp;b=c">https://atrium.example/reset?token=a&amp;b=c</a>. Done',
    );
  });

  it('cannot be tricked into an attribute break by a quote inside a URL', () => {
    const html = textToHtml('https://evil.example/"onmouseover="alert(1)');
    expect(html).toContain(
      '<a href="https://evil.example/">https://evil.example/</a>&quot;onmouseover=&quot;alert(1)',
    );
    expect(html).not.toMatch(/href="[^"]*"[^>]*onmouseover/);
  });

  it('escapeHtml covers the five special characters', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});
