import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SearchDocument, SearchPort, SearchQuery } from '../../src/discovery/search-port.ts';
import { AppError } from '../../src/errors.ts';

/**
 * The SearchPort's contract (ARCHITECTURE principle 11): one suite, every adapter — PostgreSQL
 * always, Meilisearch whenever MEILI_URL is set. Each test works in orgs of its own, so tests never
 * see one another's documents even though they share one index.
 */
export interface SearchContractTarget {
  /** The port under test (read inside tests and hooks). */
  search(): SearchPort;
  /** A fresh org id that documents may be written for (a row in `orgs` for PostgreSQL). */
  newOrg(): Promise<string>;
}

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

function doc(orgId: string, fields: Partial<SearchDocument> & { title: string }): SearchDocument {
  return {
    id: randomUUID(),
    orgId,
    description: '',
    categories: [],
    mediaType: 'video',
    language: 'en',
    publicationDate: day('2026-01-01'),
    authorName: null,
    ...fields,
  };
}

/** A small catalogue with known facets: 6 documents over two media types, three languages. */
function catalogue(orgId: string) {
  return {
    jazzVideo: doc(orgId, {
      title: 'Late night jazz session',
      description: 'A trio plays standards until dawn.',
      categories: ['Music', 'Live'],
      mediaType: 'video',
      language: 'en',
      publicationDate: day('2026-03-01'),
      authorName: 'Miles Okafor',
    }),
    jazzAudio: doc(orgId, {
      title: 'Jazz history podcast, episode 4',
      description: 'Bebop and the clubs of 52nd Street.',
      categories: ['Music', 'History'],
      mediaType: 'audio',
      language: 'en',
      publicationDate: day('2026-02-01'),
    }),
    cookingVideo: doc(orgId, {
      title: 'Baking bread at home',
      description: 'Sourdough for beginners.',
      categories: ['Food'],
      mediaType: 'video',
      language: 'de',
      publicationDate: day('2025-11-15'),
    }),
    scienceAudio: doc(orgId, {
      title: 'Volcanoes explained',
      description: 'How magma reaches the surface.',
      categories: ['Science'],
      mediaType: 'audio',
      language: 'fr',
      publicationDate: day('2025-06-30'),
    }),
    travelVideo: doc(orgId, {
      title: 'Walking through Lisbon',
      description: 'Trams, tiles and a little jazz bar by the river.',
      categories: ['Travel', 'Music'],
      mediaType: 'video',
      language: 'de',
      publicationDate: day('2024-09-09'),
    }),
    undated: doc(orgId, {
      title: 'Untitled field recording',
      description: 'Birdsong.',
      categories: ['Nature'],
      mediaType: 'audio',
      language: 'en',
      publicationDate: null,
    }),
  };
}

const facet = (entries: Array<[string, number]>) => entries.map(([value, count]) => ({ value, count }));

export function searchContract(name: string, target: SearchContractTarget): void {
  describe(`SearchPort contract: ${name}`, () => {
    let port: SearchPort;
    beforeAll(() => {
      port = target.search();
    });
    const find = (query: Omit<SearchQuery, 'limit' | 'offset'> & { limit?: number; offset?: number }) =>
      port.search({ limit: 20, offset: 0, ...query });

    async function seeded() {
      const orgId = await target.newOrg();
      const docs = catalogue(orgId);
      await port.upsert(Object.values(docs));
      return { orgId, docs };
    }

    it('answers health checks', async () => {
      await expect(port.health()).resolves.toBeUndefined();
    });

    it('lists an empty query newest first, undated documents last', async () => {
      const { orgId, docs } = await seeded();
      const result = await find({ orgId, q: '' });
      expect(result.ids).toEqual([
        docs.jazzVideo.id,
        docs.jazzAudio.id,
        docs.cookingVideo.id,
        docs.scienceAudio.id,
        docs.travelVideo.id,
        docs.undated.id,
      ]);
      expect(result.total).toBe(6);
    });

    it('counts facets over the org: every value, largest first', async () => {
      const { orgId } = await seeded();
      const { facets } = await find({ orgId, q: '' });
      expect(facets.mediaType).toEqual(
        facet([
          ['audio', 3],
          ['video', 3],
        ]),
      );
      expect(facets.language).toEqual(
        facet([
          ['en', 3],
          ['de', 2],
          ['fr', 1],
        ]),
      );
      expect(facets.category).toEqual(
        facet([
          ['Music', 3],
          ['Food', 1],
          ['History', 1],
          ['Live', 1],
          ['Nature', 1],
          ['Science', 1],
          ['Travel', 1],
        ]),
      );
    });

    it('counts each facet with the other filters applied but not its own (disjunctive)', async () => {
      const { orgId } = await seeded();
      const result = await find({ orgId, q: '', mediaType: 'video', category: 'Music' });
      expect(result.total).toBe(2);
      // Music documents of either media type; video documents of any category.
      expect(result.facets.mediaType).toEqual(
        facet([
          ['video', 2],
          ['audio', 1],
        ]),
      );
      expect(result.facets.category).toEqual(
        facet([
          ['Music', 2],
          ['Food', 1],
          ['Live', 1],
          ['Travel', 1],
        ]),
      );
      expect(result.facets.language).toEqual(
        facet([
          ['de', 1],
          ['en', 1],
        ]),
      );

      const matching = await find({ orgId, q: 'jazz', language: 'en' });
      expect(matching.total).toBe(2);
      expect(matching.facets.language).toEqual(
        facet([
          ['en', 2],
          ['de', 1],
        ]),
      );
      expect(matching.facets.mediaType).toEqual(
        facet([
          ['audio', 1],
          ['video', 1],
        ]),
      );
    });

    it('filters by media type, category, language and publication date (inclusive bounds)', async () => {
      const { orgId, docs } = await seeded();
      const ids = async (query: Omit<SearchQuery, 'orgId' | 'limit' | 'offset'>) =>
        new Set((await find({ orgId, ...query })).ids);

      expect(await ids({ mediaType: 'audio' })).toEqual(
        new Set([docs.jazzAudio.id, docs.scienceAudio.id, docs.undated.id]),
      );
      expect(await ids({ category: 'Music' })).toEqual(
        new Set([docs.jazzVideo.id, docs.jazzAudio.id, docs.travelVideo.id]),
      );
      expect(await ids({ language: 'de' })).toEqual(new Set([docs.cookingVideo.id, docs.travelVideo.id]));
      expect(await ids({ dateFrom: day('2025-06-30'), dateTo: day('2026-02-01') })).toEqual(
        new Set([docs.jazzAudio.id, docs.cookingVideo.id, docs.scienceAudio.id]),
      );
      expect(await ids({ dateFrom: day('2026-02-02') })).toEqual(new Set([docs.jazzVideo.id]));
      expect(await ids({ dateTo: day('2024-12-31') })).toEqual(new Set([docs.travelVideo.id]));
      expect(await ids({ q: 'jazz', mediaType: 'video', language: 'de' })).toEqual(
        new Set([docs.travelVideo.id]),
      );
      expect(await ids({ category: 'Nonexistent' })).toEqual(new Set());
    });

    it('finds words in any field, requires all of them, and reads the last one as a prefix', async () => {
      const { orgId, docs } = await seeded();
      expect((await find({ orgId, q: 'sourdough' })).ids).toEqual([docs.cookingVideo.id]);
      expect((await find({ orgId, q: 'okafor' })).ids).toEqual([docs.jazzVideo.id]);
      expect((await find({ orgId, q: 'science' })).ids).toEqual([docs.scienceAudio.id]);
      expect((await find({ orgId, q: 'jazz bebop' })).ids).toEqual([docs.jazzAudio.id]);
      expect((await find({ orgId, q: 'volc' })).ids).toEqual([docs.scienceAudio.id]);
      expect((await find({ orgId, q: 'bebop 52' })).ids).toEqual([docs.jazzAudio.id]);
      expect((await find({ orgId, q: 'VOLCANOES!' })).ids).toEqual([docs.scienceAudio.id]);
      expect((await find({ orgId, q: 'quantum' })).total).toBe(0);
    });

    it('tolerates typos: "podcsat" finds "podcast"', async () => {
      const { orgId, docs } = await seeded();
      const result = await find({ orgId, q: 'podcsat' });
      expect(result.ids).toEqual([docs.jazzAudio.id]);
      expect(result.total).toBe(1);
      expect((await find({ orgId, q: 'volcanos' })).ids).toEqual([docs.scienceAudio.id]);
    });

    it('allows one typo in words of 5–8 letters, two from 9, none below 5', async () => {
      const orgId = await target.newOrg();
      const museum = doc(orgId, { title: 'Museum tour' });
      const music = doc(orgId, { title: 'Music night' });
      const documentary = doc(orgId, { title: 'Documentary about bridges' });
      const jazz = doc(orgId, { title: 'Jazz standards' });
      await port.upsert([museum, music, documentary, jazz]);
      // "museu" is being typed (museum), and two typos from "music": never read as music.
      expect((await find({ orgId, q: 'museu' })).ids).toEqual([museum.id]);
      expect((await find({ orgId, q: 'musci night' })).ids).toEqual([music.id]);
      expect((await find({ orgId, q: 'documnetry bridges' })).ids).toEqual([documentary.id]);
      expect((await find({ orgId, q: 'jzaz standards' })).total).toBe(0);
    });

    it('folds case and accents', async () => {
      const orgId = await target.newOrg();
      const cafe = doc(orgId, { title: 'Café Müller in Zürich' });
      await port.upsert([cafe]);
      expect((await find({ orgId, q: 'cafe muller' })).ids).toEqual([cafe.id]);
      expect((await find({ orgId, q: 'ZÜRICH' })).ids).toEqual([cafe.id]);
    });

    it('ranks a title match above a description match, whatever the dates', async () => {
      const orgId = await target.newOrg();
      const inDescription = doc(orgId, {
        title: 'Morning show',
        description: 'Today we talk about gardening with our guests.',
        publicationDate: day('2026-05-01'),
      });
      const inTitle = doc(orgId, {
        title: 'Gardening for small balconies',
        description: 'Pots, soil and light.',
        publicationDate: day('2020-01-01'),
      });
      await port.upsert([inDescription, inTitle]);
      expect((await find({ orgId, q: 'gardening' })).ids).toEqual([inTitle.id, inDescription.id]);
    });

    it('pages with limit and offset over a stable order, with the total of all matches', async () => {
      const orgId = await target.newOrg();
      const docs = Array.from({ length: 7 }, (_, i) =>
        doc(orgId, { title: `Lecture ${i + 1} on harmony`, publicationDate: day(`2026-01-0${i + 1}`) }),
      );
      await port.upsert(docs);
      const newestFirst = docs.map((d) => d.id).reverse();
      const pages = [];
      for (let offset = 0; offset < 7; offset += 3) {
        const page = await find({ orgId, q: 'harmony', limit: 3, offset });
        expect(page.total).toBe(7);
        pages.push(...page.ids);
      }
      expect(pages).toEqual(newestFirst);
      expect((await find({ orgId, q: '', limit: 2, offset: 3 })).ids).toEqual(newestFirst.slice(3, 5));
      const beyond = await find({ orgId, q: 'harmony', limit: 5, offset: 7 });
      expect(beyond).toMatchObject({ ids: [], total: 7 });
    });

    it("never returns, counts or removes another org's documents", async () => {
      const { orgId, docs } = await seeded();
      const other = await target.newOrg();
      const intruder = doc(other, { title: 'Late night jazz for the other org', categories: ['Music'] });
      await port.upsert([intruder]);

      const result = await find({ orgId, q: 'jazz' });
      expect(result.ids).not.toContain(intruder.id);
      expect(result.total).toBe(3);
      expect((await find({ orgId: other, q: 'jazz' })).ids).toEqual([intruder.id]);
      expect((await find({ orgId: other, q: '' })).facets.category).toEqual(facet([['Music', 1]]));

      // Removing with the wrong org leaves the document alone.
      await port.remove(other, [docs.jazzVideo.id]);
      expect((await find({ orgId, q: 'jazz' })).ids).toContain(docs.jazzVideo.id);
    });

    it('replaces a document on upsert: old words, facets and dates no longer match', async () => {
      const { orgId, docs } = await seeded();
      await port.upsert([
        {
          ...docs.cookingVideo,
          title: 'Fermentation basics',
          description: 'Kimchi and kefir.',
          categories: ['Science'],
          mediaType: 'audio',
          language: 'en',
          publicationDate: day('2026-06-01'),
        },
      ]);
      expect((await find({ orgId, q: 'bread' })).total).toBe(0);
      expect((await find({ orgId, q: 'kimchi' })).ids).toEqual([docs.cookingVideo.id]);
      const all = await find({ orgId, q: '' });
      expect(all.total).toBe(6);
      expect(all.ids[0]).toBe(docs.cookingVideo.id);
      expect(all.facets.category).toContainEqual({ value: 'Science', count: 2 });
      expect(all.facets.category.find((f) => f.value === 'Food')).toBeUndefined();
      expect(all.facets.language).toContainEqual({ value: 'de', count: 1 });
    });

    it('removes documents, and ignores unknown ids', async () => {
      const { orgId, docs } = await seeded();
      await port.remove(orgId, [docs.jazzVideo.id, docs.scienceAudio.id, randomUUID()]);
      const all = await find({ orgId, q: '' });
      expect(all.total).toBe(4);
      expect(all.ids).not.toContain(docs.jazzVideo.id);
      expect((await find({ orgId, q: 'volcanoes' })).total).toBe(0);
      expect(all.facets.language).toEqual(
        facet([
          ['de', 2],
          ['en', 2],
        ]),
      );
      await port.remove(orgId, []);
    });

    it('refuses out-of-bounds queries and documents with VALIDATION_ERROR', async () => {
      const orgId = await target.newOrg();
      const refused = async (promise: Promise<unknown>) => {
        const error = await promise.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('VALIDATION_ERROR');
      };
      await refused(port.search({ orgId, q: '', limit: 101 }));
      await refused(port.search({ orgId, q: '', limit: 0 }));
      await refused(port.search({ orgId, q: '', limit: 100, offset: 9_950 }));
      await refused(port.search({ orgId, q: 'x'.repeat(201) }));
      await refused(port.search({ orgId, q: 'nul\u0000byte' }));
      await refused(port.search({ orgId, dateFrom: day('2026-02-01'), dateTo: day('2026-01-01') }));
      await refused(port.search({ orgId: 'not-a-uuid' }));
      await refused(port.upsert([doc(orgId, { title: '' })]));
      await refused(port.upsert([{ ...doc(orgId, { title: 'x' }), id: 'not-a-uuid' }]));
      await refused(port.remove(orgId, ['not-a-uuid']));
    });

    describe('reindex', () => {
      it('swaps in the rebuilt index atomically; searches keep answering from the old one until then', async () => {
        const { orgId, docs } = await seeded();
        const reindex = await port.beginReindex();
        expect(reindex.startedAt).toBeInstanceOf(Date);

        // The rebuild only has part of the catalogue so far, with a changed title.
        const renamed = { ...docs.scienceAudio, title: 'Volcanoes and geysers' };
        await reindex.write([docs.jazzVideo, docs.jazzAudio, renamed]);
        const during = await find({ orgId, q: '' });
        expect(during.total).toBe(6);
        expect((await find({ orgId, q: 'geysers' })).total).toBe(0);

        await reindex.write([docs.cookingVideo, docs.travelVideo, docs.undated]);
        await reindex.commit();
        expect((await find({ orgId, q: 'geysers' })).ids).toEqual([docs.scienceAudio.id]);
        expect((await find({ orgId, q: '' })).total).toBe(6);
      });

      it('drops documents the rebuild did not write', async () => {
        const { orgId, docs } = await seeded();
        const reindex = await port.beginReindex();
        await reindex.write([docs.jazzVideo]);
        await reindex.commit();
        const after = await find({ orgId, q: '' });
        expect(after.ids).toEqual([docs.jazzVideo.id]);
        expect(after.facets.mediaType).toEqual(facet([['video', 1]]));
      });

      it('keeps upserts and removals made while it runs', async () => {
        const { orgId, docs } = await seeded();
        const reindex = await port.beginReindex();
        await reindex.write(Object.values(docs));

        const added = doc(orgId, { title: 'Added during the rebuild', publicationDate: day('2026-07-01') });
        await port.upsert([added]);
        await port.remove(orgId, [docs.undated.id]);
        expect((await find({ orgId, q: 'rebuild' })).ids).toEqual([added.id]);

        await reindex.commit();
        const after = await find({ orgId, q: '' });
        expect(after.total).toBe(6);
        expect(after.ids[0]).toBe(added.id);
        expect(after.ids).not.toContain(docs.undated.id);
      });

      it('never leaves searches without an answer while it rebuilds and swaps', async () => {
        const { orgId, docs } = await seeded();
        let searching = true;
        const answers: number[] = [];
        const searcher = (async () => {
          while (searching) answers.push((await find({ orgId, q: 'jazz' })).total);
        })();
        try {
          const reindex = await port.beginReindex();
          for (const d of Object.values(docs)) await reindex.write([d]);
          await reindex.commit();
          // A few searches after the swap as well.
          const settled = answers.length;
          while (answers.length < settled + 3) await new Promise((resolve) => setTimeout(resolve, 5));
        } finally {
          searching = false;
          await searcher;
        }
        expect(answers.length).toBeGreaterThan(3);
        expect(new Set(answers)).toEqual(new Set([3]));
      });

      it('aborts without a trace, and a newer rebuild supersedes an unfinished one', async () => {
        const { orgId, docs } = await seeded();
        const aborted = await port.beginReindex();
        await aborted.write([docs.jazzVideo]);
        await aborted.abort();
        expect((await find({ orgId, q: '' })).total).toBe(6);

        const abandoned = await port.beginReindex();
        await abandoned.write([docs.jazzVideo]);
        const current = await port.beginReindex();
        const error = await abandoned.write([docs.jazzAudio]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('CONFLICT');
        await expect(abandoned.commit()).rejects.toMatchObject({ code: 'CONFLICT' });

        await current.write(Object.values(docs));
        await current.commit();
        expect((await find({ orgId, q: '' })).total).toBe(6);
      });
    });
  });
}
