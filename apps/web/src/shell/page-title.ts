import { useEffect } from 'react';

/**
 * The browser tab names the page a person is on — "Queues · Ops · Atrium", "(3) Notifications ·
 * Atrium" with the unread count — so several tabs and the history stay tellable apart. It follows what
 * the page shows: the current section of the area's navigation (`aria-current="page"` in a `.subnav`)
 * and the page's `<h1>`, re-read whenever the main content changes.
 */
export function composeTitle(parts: {
  section: string | null;
  heading: string | null;
  unread: number;
}): string {
  const names = [parts.section, parts.heading]
    .map((name) => name?.replace(/\s+/g, ' ').trim() ?? '')
    .filter((name, index, all) => name !== '' && all.indexOf(name) === index);
  const page = [...names, 'Atrium'].join(' · ');
  return parts.unread > 0 ? `(${parts.unread > 99 ? '99+' : parts.unread}) ${page}` : page;
}

export function usePageTitle(unread: number): void {
  useEffect(() => {
    const main = document.getElementById('main');
    if (!main) return;
    const update = () => {
      const title = composeTitle({
        section: main.querySelector('.subnav:not(.subnav--minor) [aria-current="page"]')?.textContent ?? null,
        heading: main.querySelector('h1')?.textContent ?? null,
        unread,
      });
      if (document.title !== title) document.title = title;
    };
    update();
    const observer = new MutationObserver(update);
    observer.observe(main, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['aria-current'],
    });
    return () => observer.disconnect();
  }, [unread]);
}
