import { describe, expect, it } from 'vitest';
import { composeTitle } from './page-title.ts';

describe('composeTitle', () => {
  it('names the section, the page and the app, with the unread count first', () => {
    expect(composeTitle({ section: 'Queues', heading: 'Ops', unread: 0 })).toBe('Queues · Ops · Atrium');
    expect(composeTitle({ section: null, heading: 'Notifications', unread: 3 })).toBe(
      '(3) Notifications · Atrium',
    );
    expect(composeTitle({ section: null, heading: null, unread: 120 })).toBe('(99+) Atrium');
    expect(composeTitle({ section: 'Ops', heading: 'Ops', unread: 0 })).toBe('Ops · Atrium');
  });
});
