import { describe, expect, it } from 'vitest';
import { NAVIGATION, type NavViewer, visibleNavigation } from './navigation.ts';

const everything = { signedIn: true, can: () => true, mailboxAvailable: false };
const labels = (areasBuilt?: Record<'library' | 'datasets' | 'workplace' | 'todos', boolean>) =>
  visibleNavigation(NAVIGATION, { ...everything, ...(areasBuilt ? { areasBuilt } : {}) }).flatMap((section) =>
    section.items.map((item) => item.label),
  );

describe('navigation', () => {
  it('shows every area once all are built (today)', () => {
    expect(labels()).toEqual(
      expect.arrayContaining([
        'Library',
        'Datasets',
        'Workplace',
        'Todos',
        'Creator',
        'Review',
        'Admin',
        'Ops',
        'Profile',
        'Notifications',
      ]),
    );
  });

  it('leaves areas that are not built out of the navigation', () => {
    const shown = labels({ library: false, datasets: false, workplace: false, todos: false });
    for (const unbuilt of ['Library', 'Datasets', 'Workplace', 'Todos']) expect(shown).not.toContain(unbuilt);
    expect(shown).toEqual(expect.arrayContaining(['Creator', 'Review', 'Admin', 'Ops', 'Profile']));
  });

  it('shows an area once its flag says it is built', () => {
    const shown = labels({ library: true, datasets: false, workplace: true, todos: false });
    expect(shown).toEqual(expect.arrayContaining(['Library', 'Workplace']));
    expect(shown).not.toContain('Datasets');
  });

  it('opens Home for every member, and System status only for those who operate', () => {
    const viewer: NavViewer = { signedIn: true, can: () => false, mailboxAvailable: false };
    const operator: NavViewer = { ...viewer, can: (permission) => permission === 'ops.read' };
    const guest: NavViewer = { ...viewer, signedIn: false };
    const shown = (who: NavViewer) =>
      visibleNavigation(NAVIGATION, who).flatMap((section) => section.items.map((item) => item.label));
    expect(shown(viewer)).toContain('Home');
    expect(shown(viewer)).not.toContain('Status');
    expect(shown(operator)).toEqual(expect.arrayContaining(['Home', 'Status', 'Ops']));
    expect(shown(guest)).not.toContain('Home');
    expect(shown(guest)).not.toContain('Status');
  });
});
