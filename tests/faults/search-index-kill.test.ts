import type { Session } from '@atrium/domain/access/session';
import {
  createContent,
  deleteContent,
  publishContent,
  unpublishContent,
  updateContent,
} from '@atrium/domain/content/content';
import { createPostgresSearch } from '@atrium/domain/discovery/index';
import { createTestOrg, createTestUser, sessionOf } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, type FaultStack, report, startFaultStack, waitUntil } from './stack.ts';

/**
 * Fault 6: the worker is SIGKILLed while it indexes a burst of content changes (`search.index`,
 * ordered per content). Meanwhile editors keep publishing, revising, unpublishing and deleting. After
 * a restart the index must say exactly what the content tables say: every published item findable in
 * its latest wording, nothing unpublished or deleted findable, nothing indexed twice in a way that
 * shows. Counted from the index the searches read, never from logs.
 */
const CONTENTS = Number(process.env.FAULTS_CONTENTS ?? 2_000);
const REVISED = Math.floor(CONTENTS / 8);
const UNPUBLISHED = Math.floor(CONTENTS / 20);
const DELETED = Math.floor(CONTENTS / 20);
/** A word no seeded title has: the revised items carry it, so a search for it finds exactly them. */
const REVISION_MARK = 'palimpsest';

describe('fault: the worker is killed (SIGKILL) while it indexes', () => {
  let stack: FaultStack;
  let worker: AppProcess;
  let orgId: string;
  let editor: Session;

  beforeAll(async () => {
    stack = await startFaultStack();
    orgId = (await createTestOrg(stack.db, { name: 'Index Faults' })).id;
    const user = await createTestUser(stack.db, { orgId, roles: ['editor'], name: 'Eda Editor' });
    editor = await sessionOf(stack.db, user.id);
    worker = await stack.start('worker');
  }, 120_000);
  afterAll(() => stack?.close());

  it('the index ends exactly in step with the content, nothing lost or resurrected', async () => {
    const { db } = stack;
    const deps = { db };
    const search = createPostgresSearch({ db });
    const indexedCount = async () =>
      Number(
        (
          await db
            .selectFrom('contents')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('org_id', '=', orgId)
            .where('status', '=', 'published')
            .whereRef('indexed_version', '>=', 'version')
            .executeTakeFirstOrThrow()
        ).n,
      );

    let indexedWhenKilled: number | null = null;
    const killWhenAThirdIsIndexed = (async () => {
      await waitUntil(
        'a third of the contents indexed',
        async () => (await indexedCount()) >= CONTENTS / 3,
        300_000,
      );
      indexedWhenKilled = await indexedCount();
      await worker.kill('SIGKILL');
    })();

    // Editors at work: publish everything in batches, then revise, unpublish and delete some while
    // the first jobs are still being indexed (and while the worker is dead).
    const startedAt = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < CONTENTS; i++) {
      const created = await createContent(deps, editor, {
        title: `Episode ${i} of the fault series`,
        description: `Notes for episode ${i}`,
        language: i % 2 ? 'en' : 'de',
        media: {
          mediaType: i % 3 ? 'video' : 'audio',
          externalUrl: `https://www.youtube.com/watch?v=flt${String(i).padStart(8, '0')}`,
        },
      });
      await publishContent(deps, editor, { id: created.id });
      ids.push(created.id);
    }
    const revised = ids.slice(0, REVISED);
    const unpublished = ids.slice(REVISED, REVISED + UNPUBLISHED);
    const deleted = ids.slice(REVISED + UNPUBLISHED, REVISED + UNPUBLISHED + DELETED);
    for (const id of revised) {
      const { version } = await db
        .selectFrom('contents')
        .select('version')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      await updateContent(deps, editor, {
        id,
        expectedVersion: version,
        title: `A ${REVISION_MARK} revision ${id}`,
      });
    }
    for (const id of unpublished) await unpublishContent(deps, editor, { id });
    for (const id of deleted) await deleteContent(deps, editor, { id });
    const writesDoneAt = performance.now();

    await killWhenAThirdIsIndexed;
    const killedAt = performance.now();
    await new Promise((r) => setTimeout(r, 2_000));
    await worker.restart();
    const restartedAt = performance.now();

    const published = CONTENTS - UNPUBLISHED - DELETED;
    const recoverySeconds = await waitUntil(
      'every published content indexed at its latest version after the restart',
      async () => {
        const pending = await sql<{ n: string }>`
          SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL`.execute(db);
        return Number(pending.rows[0]?.n ?? 1) === 0 && (await indexedCount()) === published;
      },
      600_000,
    );
    // Jobs that still run after that (unpublish/delete removals) settle too: the queue drains.
    await waitUntil(
      'the search.index queue drained',
      async () => {
        const open = await sql<{ n: string }>`
          SELECT count(*) AS n FROM pgboss.job WHERE name = 'search.index' AND state IN ('created', 'retry', 'active')`.execute(
          db,
        );
        return Number(open.rows[0]?.n ?? 1) === 0;
      },
      300_000,
    );

    // What a visitor's search sees, from the index itself.
    const everything = await search.search({ orgId, q: '', limit: 1 });
    const findable = new Set<string>();
    for (let offset = 0; offset < everything.total; offset += 100) {
      const page = await search.search({ orgId, q: '', limit: 100, offset });
      for (const id of page.ids) findable.add(id);
    }
    const shouldBeFindable = new Set(ids.filter((id) => !unpublished.includes(id) && !deleted.includes(id)));
    const missing = [...shouldBeFindable].filter((id) => !findable.has(id)).length;
    const resurrected = [...findable].filter((id) => !shouldBeFindable.has(id)).length;
    const revisedHits = await search.search({ orgId, q: REVISION_MARK, limit: 1 });
    const staleRevisions = REVISED - revisedHits.total;
    const deadLetters = await sql<{ n: string }>`
      SELECT count(*) AS n FROM pgboss.job WHERE name LIKE 'search.index%dead%'`.execute(db);
    const engineDocs = await sql<{ n: string }>`
      SELECT count(*) AS n FROM search_documents d JOIN search_index_state s ON d.generation = s.active_generation
      WHERE d.org_id = ${orgId}`.execute(db);

    report('worker killed (SIGKILL) while indexing', {
      'contents published': CONTENTS,
      'revised / unpublished / deleted': `${REVISED} / ${UNPUBLISHED} / ${DELETED}`,
      'indexed when killed': indexedWhenKilled ?? 'n/a',
      'seconds of editor writes': (writesDoneAt - startedAt) / 1000,
      'seconds from kill to all indexed': (performance.now() - killedAt) / 1000,
      'seconds from restart to all indexed': recoverySeconds,
      'restart to queue drained (s)': (performance.now() - restartedAt) / 1000,
      'findable items': findable.size,
      'index rows (active generation)': Number(engineDocs.rows[0]?.n ?? 0),
      'missing from the index': missing,
      'unpublished or deleted findable': resurrected,
      'revisions stale in the index': staleRevisions,
      'dead letters': Number(deadLetters.rows[0]?.n ?? 0),
    });
    expect(missing).toBe(0);
    expect(resurrected).toBe(0);
    expect(staleRevisions).toBe(0);
    expect(findable.size).toBe(published);
    expect(Number(engineDocs.rows[0]?.n ?? 0)).toBe(published);
    expect(Number(deadLetters.rows[0]?.n ?? 0)).toBe(0);
  }, 1_200_000);
});
