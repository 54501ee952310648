import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningAimsSimulator, startAimsSimulator } from '../src/index.ts';
import { aimsCall, articles, issueToken } from './aims-http.ts';

const COMPANY = 'ABC';
const STORE = 'ST001';
const USER = { username: 'sync@abc.example', password: 'correct horse' };

let now = Date.parse('2026-06-01T08:00:00Z');
let sim: RunningAimsSimulator;
let token: string;
const store = { company: COMPANY, store: STORE };

beforeAll(async () => {
  sim = await startAimsSimulator({
    now: () => now,
    maxArticlesPerStore: 1_200,
    maxLabelsPerStore: 3,
    companies: [
      { code: COMPANY, users: [USER], stores: [STORE, 'ST002'] },
      { code: 'C1CO', cluster: 'c1', users: [{ username: 'c1@example', password: 'pw' }], stores: ['S'] },
    ],
  });
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.control.reset(COMPANY);
  token = (await issueToken(sim, USER.username, USER.password)).access_token;
});

describe('envelope and routing', () => {
  it('answers every AIMS path under both cluster prefixes with {responseCode, responseMessage}', async () => {
    const unknownPath = await aimsCall(sim, '/api/v2/common/nothing', { token, query: store });
    expect(unknownPath).toMatchObject({
      status: 404,
      body: { responseCode: '404', responseMessage: 'Not Found' },
    });
    const wrongMethod = await aimsCall(sim, '/api/v2/common/labels/page', { token, query: store });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const noCluster = await fetch(`${sim.url}/api/v2/common/articles`);
    expect(noCluster.status).toBe(404);
    expect(await noCluster.json()).toEqual({ responseCode: '404', responseMessage: 'Not Found' });
  });

  it('refuses a body that is not JSON or too large, in the envelope', async () => {
    const notJson = await fetch(
      `${sim.url}/common/api/v2/common/articles?company=${COMPANY}&store=${STORE}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '[{"articleId":',
      },
    );
    expect(notJson.status).toBe(405);
    expect(await notJson.json()).toEqual({
      responseCode: '405',
      responseMessage: 'Parameter is invalid: the body is not valid JSON',
    });

    const small = await startAimsSimulator({
      maxBodyBytes: 1_000,
      companies: [{ code: COMPANY, users: [USER] }],
    });
    try {
      const tooLarge = await aimsCall(small, '/api/v2/token', {
        method: 'POST',
        body: { username: USER.username, password: 'x'.repeat(2_000) },
      });
      expect(tooLarge).toMatchObject({ status: 413, body: { responseCode: '413' } });
    } finally {
      await small.close();
    }
  });
});

describe('tokens', () => {
  it('issues a bearer token with a refresh token and expires_in for a known user', async () => {
    const answer = await aimsCall(sim, '/api/v2/token', { method: 'POST', body: USER });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      responseCode: '200',
      responseMessage: { token_type: 'Bearer', expires_in: 3600 },
    });
    const issued = answer.body?.responseMessage as Record<string, unknown>;
    expect(issued.access_token).toEqual(expect.any(String));
    expect(issued.refresh_token).toEqual(expect.any(String));
  });

  it('answers 401 for a wrong password or an unknown user, and 405 without credentials', async () => {
    for (const body of [
      { ...USER, password: 'wrong' },
      { username: 'nobody@example', password: 'x' },
    ]) {
      expect(await aimsCall(sim, '/api/v2/token', { method: 'POST', body })).toMatchObject({
        status: 401,
        body: { responseCode: '401', responseMessage: 'Unauthorized' },
      });
    }
    const missing = await aimsCall(sim, '/api/v2/token', {
      method: 'POST',
      body: { username: USER.username },
    });
    expect(missing.status).toBe(405);
  });

  it('answers 401 for a missing, unknown or expired access token', async () => {
    expect((await aimsCall(sim, '/api/v2/common/articles', { query: store })).status).toBe(401);
    expect((await aimsCall(sim, '/api/v2/common/articles', { token: 'forged', query: store })).status).toBe(
      401,
    );

    sim.control.provision({ code: COMPANY, tokenLifetimeSeconds: 60 });
    const shortLived = await issueToken(sim, USER.username, USER.password);
    expect(shortLived.expires_in).toBe(60);
    expect(
      (await aimsCall(sim, '/api/v2/common/articles', { token: shortLived.access_token, query: store }))
        .status,
    ).toBe(204);
    now += 60_000;
    const expired = await aimsCall(sim, '/api/v2/common/articles', {
      token: shortLived.access_token,
      query: store,
    });
    expect(expired).toMatchObject({
      status: 401,
      body: { responseCode: '401', responseMessage: 'Unauthorized' },
    });
    sim.control.provision({ code: COMPANY, tokenLifetimeSeconds: 3600 });
  });

  it('refreshes with {refreshToken}, rotating it: a used or expired refresh token answers 401', async () => {
    const first = await issueToken(sim, USER.username, USER.password);
    const refreshed = await aimsCall(sim, '/api/v2/token/refresh', {
      method: 'POST',
      query: { company: COMPANY },
      body: { refreshToken: first.refresh_token },
    });
    expect(refreshed).toMatchObject({
      status: 200,
      body: { responseCode: '200', responseMessage: { expires_in: 3600 } },
    });
    const second = refreshed.body?.responseMessage as { access_token: string; refresh_token: string };
    expect(second.access_token).not.toBe(first.access_token);
    expect(
      (await aimsCall(sim, '/api/v2/common/articles', { token: second.access_token, query: store })).status,
    ).toBe(204);

    const reused = await aimsCall(sim, '/api/v2/token/refresh', {
      method: 'POST',
      body: { refreshToken: first.refresh_token },
    });
    expect(reused.status).toBe(401);
    const otherCompany = await aimsCall(sim, '/api/v2/token/refresh', {
      method: 'POST',
      query: { company: 'C1CO' },
      body: { refreshToken: second.refresh_token },
    });
    expect(otherCompany.status).toBe(401);

    now += 1_209_600_000;
    const expired = await aimsCall(sim, '/api/v2/token/refresh', {
      method: 'POST',
      body: { refreshToken: second.refresh_token },
    });
    expect(expired.status).toBe(401);
  });

  it('keeps the clusters apart: users, tokens and stores answer only on their own cluster', async () => {
    expect((await aimsCall(sim, '/api/v2/token', { method: 'POST', cluster: 'c1', body: USER })).status).toBe(
      401,
    );
    const c1 = await issueToken(sim, 'c1@example', 'pw', 'c1');
    const query = { company: 'C1CO', store: 'S' };
    expect(
      (await aimsCall(sim, '/api/v2/common/articles', { cluster: 'c1', token: c1.access_token, query }))
        .status,
    ).toBe(204);
    expect((await aimsCall(sim, '/api/v2/common/articles', { token: c1.access_token, query })).status).toBe(
      401,
    );
  });
});

describe('company and store parameters', () => {
  it('405 when company or store is missing, 403 for another company, 405 Invalid Store Code for an unknown store', async () => {
    expect(await aimsCall(sim, '/api/v2/common/articles', { token, query: { store: STORE } })).toMatchObject({
      status: 405,
      body: { responseCode: '405', responseMessage: 'Parameter is invalid: company is required' },
    });
    expect(
      await aimsCall(sim, '/api/v2/common/articles', { token, query: { company: COMPANY } }),
    ).toMatchObject({
      status: 405,
      body: { responseMessage: 'Parameter is invalid: store is required' },
    });
    for (const company of ['C1CO', 'NOPE']) {
      expect(
        await aimsCall(sim, '/api/v2/common/articles', { token, query: { company, store: STORE } }),
      ).toMatchObject({
        status: 403,
        body: { responseCode: '403', responseMessage: 'License Error' },
      });
    }
    expect(
      await aimsCall(sim, '/api/v2/common/articles', { token, query: { company: COMPANY, store: 'NOPE' } }),
    ).toMatchObject({
      status: 405,
      body: { responseCode: '405', responseMessage: 'Invalid Store Code' },
    });
  });

  it('keeps stores of a company apart', async () => {
    await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: articles(3),
    });
    const other = await aimsCall(sim, '/api/v2/common/articles', {
      token,
      query: { company: COMPANY, store: 'ST002' },
    });
    expect(other.status).toBe(204);
  });
});

describe('articles', () => {
  it('upserts a JSON array with POST and PUT, replacing an article and keeping its generateDate', async () => {
    const created = await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: [
        {
          articleId: 'B100001',
          articleName: 'Room 1',
          nfcUrl: 'https://x/1',
          eans: ['123'],
          data: { NAME: 'Ada' },
        },
      ],
    });
    expect(created).toMatchObject({ status: 200, body: { responseCode: '200', responseMessage: 'SUCCESS' } });
    const firstSeen = sim.control.articles(COMPANY, STORE)[0]!;
    now += 5_000;
    const updated = await aimsCall(sim, '/api/v2/common/articles', {
      method: 'PUT',
      token,
      query: store,
      body: [{ articleId: 'B100001', articleName: 'Room 1 (east)', data: { NAME: 'Grace', SEATS: 4 } }],
    });
    expect(updated.status).toBe(200);
    expect(sim.control.articles(COMPANY, STORE)).toEqual([
      {
        articleId: 'B100001',
        articleName: 'Room 1 (east)',
        nfcUrl: '',
        labelCount: 0,
        EANs: [],
        data: { NAME: 'Grace', SEATS: 4 },
        generateDate: firstSeen.generateDate,
        lastUpdated: expect.not.stringMatching(firstSeen.lastUpdated),
      },
    ]);
  });

  it('takes at most 500 articles per call and refuses invalid ones whole, in the envelope', async () => {
    const ok = await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: articles(500),
    });
    expect(ok.status).toBe(200);
    const tooMany = await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: articles(501, 'Z'),
    });
    expect(tooMany).toMatchObject({
      status: 405,
      body: {
        responseCode: '405',
        responseMessage: 'Parameter is invalid: at most 500 articles per request (got 501)',
      },
    });
    for (const [body, message] of [
      [[], 'Parameter is invalid: body is empty'],
      [{ articleId: 'X' }, 'Parameter is invalid: body must be an array'],
      [
        [{ articleId: 'OK1' }, { articleName: 'no id' }],
        'Parameter is invalid: [1].articleId must be a non-empty string of at most 255 characters',
      ],
      [
        [{ articleId: 'D', data: { NESTED: { a: 1 } } }],
        'Parameter is invalid: [0].data.NESTED must be a string, number, boolean or null',
      ],
      [
        [{ articleId: 'E', eans: 'not-a-list' }],
        'Parameter is invalid: [0].eans must be an array of at most 50 strings',
      ],
    ] as const) {
      expect(
        await aimsCall(sim, '/api/v2/common/articles', { method: 'POST', token, query: store, body }),
      ).toMatchObject({
        status: 405,
        body: { responseCode: '405', responseMessage: message },
      });
    }
    expect(sim.control.articles(COMPANY, STORE)).toHaveLength(500);
  });

  it('keeps any data field name as a field, "__proto__" included', async () => {
    const body = '[{"articleId":"P1","data":{"__proto__":"kept","NAME":"Ada"}}]';
    const answer = await fetch(`${sim.url}/common/api/v2/common/articles?company=${COMPANY}&store=${STORE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(200);
    const listed = await aimsCall(sim, '/api/v2/common/articles', { token, query: { ...store, id: 'P1' } });
    expect(JSON.stringify(listed.body?.articleList)).toContain('"data":{"__proto__":"kept","NAME":"Ada"}');
  });

  it('refuses an upsert that would pass the store cap with a License Error, storing none of it', async () => {
    for (let from = 0; from < 1_000; from += 500) {
      await aimsCall(sim, '/api/v2/common/articles', {
        method: 'POST',
        token,
        query: store,
        body: articles(500, 'A', from),
      });
    }
    const overCap = await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: [...articles(10, 'A', 0), ...articles(201, 'N')],
    });
    expect(overCap).toMatchObject({
      status: 403,
      body: {
        responseCode: '403',
        responseMessage:
          'License Error / Can not add more articles please contact SoluM (this store holds at most 1200)',
      },
    });
    expect(sim.control.articles(COMPANY, STORE)).toHaveLength(1_000);
    // Updating articles the store already holds is still fine at the cap.
    expect(
      (
        await aimsCall(sim, '/api/v2/common/articles', {
          method: 'PUT',
          token,
          query: store,
          body: articles(500),
        })
      ).status,
    ).toBe(200);
  });

  it('pages from 0 in articleId order with totalArticleCnt, and answers 204 with no body past the end', async () => {
    await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: articles(25).reverse(),
    });
    const first = await aimsCall(sim, '/api/v2/common/articles', {
      token,
      query: { ...store, page: '0', size: '10' },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      responseCode: '200',
      responseMessage: 'SUCCESS',
      totalArticleCnt: 25,
    });
    const ids = (page: typeof first) =>
      ((page.body?.articleList ?? []) as Array<{ articleId: string }>).map((a) => a.articleId);
    expect(ids(first)).toEqual(articles(10).map((a) => a.articleId));
    const last = await aimsCall(sim, '/api/v2/common/articles', {
      token,
      query: { ...store, page: '2', size: '10' },
    });
    expect(ids(last)).toEqual(articles(5, 'A', 20).map((a) => a.articleId));
    const past = await aimsCall(sim, '/api/v2/common/articles', {
      token,
      query: { ...store, page: '3', size: '10' },
    });
    expect(past).toMatchObject({ status: 204, body: null });

    const desc = await aimsCall(sim, '/api/v2/common/articles', {
      token,
      query: { ...store, size: '3', sort: 'articleId,desc' },
    });
    expect(ids(desc)).toEqual(['A000024', 'A000023', 'A000022']);
    const one = await aimsCall(sim, '/api/v2/common/articles', { token, query: { ...store, id: 'A000007' } });
    expect(ids(one)).toEqual(['A000007']);
    expect(one.body?.articleList).toEqual([
      expect.objectContaining({
        articleName: 'Article A000007',
        labelCount: 0,
        EANs: [],
        data: { INDEX: 7 },
      }),
    ]);
  });

  it('refuses bad paging parameters with 405', async () => {
    for (const query of [
      { page: '-1' },
      { page: 'x' },
      { size: '0' },
      { size: '501' },
      { sort: 'lastUpdated,asc' },
      { sort: 'price' },
    ] as Array<Record<string, string>>) {
      const answer = await aimsCall(sim, '/api/v2/common/articles', { token, query: { ...store, ...query } });
      expect(answer.status, JSON.stringify(query)).toBe(405);
      expect(answer.body?.responseCode).toBe('405');
    }
  });

  it('deletes with {articleDeleteList}, ignoring ids it does not hold', async () => {
    await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: articles(5),
    });
    const deleted = await aimsCall(sim, '/api/v2/common/articles', {
      method: 'DELETE',
      token,
      query: store,
      body: { articleDeleteList: ['A000001', 'A000003', 'NOT-THERE'] },
    });
    expect(deleted).toMatchObject({ status: 200, body: { responseCode: '200', responseMessage: 'SUCCESS' } });
    expect(sim.control.articles(COMPANY, STORE).map((a) => a.articleId)).toEqual([
      'A000000',
      'A000002',
      'A000004',
    ]);
    const page = await aimsCall(sim, '/api/v2/common/articles', {
      token,
      query: { ...store, size: '2', page: '1' },
    });
    expect(page.body?.articleList).toHaveLength(1);
    expect(
      (
        await aimsCall(sim, '/api/v2/common/articles', {
          method: 'DELETE',
          token,
          query: store,
          body: { articleDeleteList: [] },
        })
      ).status,
    ).toBe(405);
  });
});

describe('labels', () => {
  beforeEach(async () => {
    await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: [
        { articleId: 'S1', articleName: 'Desk 1', data: { PERSON: 'Ada Lovelace' } },
        { articleId: 'C42', articleName: 'Room Orion', data: { MEETING: 'Planning', START: '10:00' } },
      ],
    });
  });

  const link = (body: unknown) =>
    aimsCall(sim, '/api/v2/common/labels/link', { method: 'POST', token, query: store, body });

  it('links labels to articles; the inspection endpoint shows what each label displays', async () => {
    const linked = await link({
      assignList: [
        { labelCode: '04507b0ac391', articleIdList: ['S1'], templateName: 'DESK.xsl' },
        { labelCode: '04507B0AC392', articleIdList: ['C42'] },
      ],
    });
    expect(linked).toMatchObject({ status: 200, body: { responseCode: '200', responseMessage: 'SUCCESS' } });
    const inspection = await fetch(`${sim.url}/__sim/labels?company=${COMPANY}&store=${STORE}`);
    expect(await inspection.json()).toEqual({
      labels: [
        {
          labelCode: '04507B0AC391',
          page: 1,
          templateName: 'DESK.xsl',
          updatedAt: expect.any(String),
          articles: [
            {
              articleId: 'S1',
              found: true,
              articleName: 'Desk 1',
              nfcUrl: '',
              data: { PERSON: 'Ada Lovelace' },
            },
          ],
        },
        {
          labelCode: '04507B0AC392',
          page: 1,
          templateName: null,
          updatedAt: expect.any(String),
          articles: [
            {
              articleId: 'C42',
              found: true,
              articleName: 'Room Orion',
              nfcUrl: '',
              data: { MEETING: 'Planning', START: '10:00' },
            },
          ],
        },
      ],
    });
    const listed = await aimsCall(sim, '/api/v2/common/articles', { token, query: { ...store, id: 'S1' } });
    expect(listed.body?.articleList).toEqual([expect.objectContaining({ labelCount: 1 })]);
  });

  it('flips pages 1..7 with {pageChangeList} and refuses other pages and unknown labels', async () => {
    await link({ assignList: [{ labelCode: '04507B0AC392', articleIdList: ['C42'] }] });
    const flip = (body: unknown) =>
      aimsCall(sim, '/api/v2/common/labels/page', { method: 'POST', token, query: store, body });
    expect(await flip({ pageChangeList: [{ labelCode: '04507B0AC392', page: 2 }] })).toMatchObject({
      status: 200,
      body: { responseCode: '200', responseMessage: 'SUCCESS' },
    });
    expect(sim.control.labels(COMPANY, STORE)[0]?.page).toBe(2);
    for (const page of [0, 8, 1.5, '2']) {
      expect((await flip({ pageChangeList: [{ labelCode: '04507B0AC392', page }] })).status).toBe(405);
    }
    expect(await flip({ pageChangeList: [{ labelCode: 'FFFFFFFFFFFF', page: 1 }] })).toMatchObject({
      status: 405,
      body: {
        responseMessage: `Parameter is invalid: label FFFFFFFFFFFF is not registered in store ${STORE}`,
      },
    });
    expect((await flip({ pageChangeList: [{ labelCode: 'short', page: 1 }] })).status).toBe(405);
    expect(sim.control.labels(COMPANY, STORE)[0]?.page).toBe(2);
    // Linking again starts from page 1.
    await link({ assignList: [{ labelCode: '04507B0AC392', articleIdList: ['C42'] }] });
    expect(sim.control.labels(COMPANY, STORE)[0]?.page).toBe(1);
  });

  it('unlinks labels (they stay registered, showing nothing) and a deleted article leaves its label empty', async () => {
    await link({
      assignList: [
        { labelCode: '04507B0AC391', articleIdList: ['S1'] },
        { labelCode: '04507B0AC392', articleIdList: ['C42'] },
      ],
    });
    const unlinked = await aimsCall(sim, '/api/v2/common/labels/unlink', {
      method: 'POST',
      token,
      query: store,
      body: { unAssignList: ['04507B0AC391'] },
    });
    expect(unlinked).toMatchObject({
      status: 200,
      body: { responseCode: '200', responseMessage: 'SUCCESS' },
    });
    await aimsCall(sim, '/api/v2/common/articles', {
      method: 'DELETE',
      token,
      query: store,
      body: { articleDeleteList: ['C42'] },
    });
    expect(sim.control.labels(COMPANY, STORE).map((label) => [label.labelCode, label.articles])).toEqual([
      ['04507B0AC391', []],
      ['04507B0AC392', []],
    ]);
    const unknown = await aimsCall(sim, '/api/v2/common/labels/unlink', {
      method: 'POST',
      token,
      query: store,
      body: { unAssignList: ['ABCDEFABCDEF'] },
    });
    expect(unknown.status).toBe(405);
  });

  it('refuses links to articles the store does not hold, and labels past the store licence', async () => {
    expect(
      await link({ assignList: [{ labelCode: '04507B0AC391', articleIdList: ['MISSING'] }] }),
    ).toMatchObject({
      status: 405,
      body: { responseMessage: `Parameter is invalid: article "MISSING" does not exist in store ${STORE}` },
    });
    expect((await link({ assignList: [{ labelCode: '04507B0AC391', articleIdList: [] }] })).status).toBe(405);
    const four = ['A', 'B', 'C', 'D'].map((c) => ({ labelCode: `04507B0AC39${c}`, articleIdList: ['S1'] }));
    expect(await link({ assignList: four })).toMatchObject({
      status: 403,
      body: {
        responseCode: '403',
        responseMessage: 'License Error / Can not add more labels please contact SoluM',
      },
    });
    expect(sim.control.labels(COMPANY, STORE)).toEqual([]);
  });

  it('lists labels paged in label-code order with their articles, 204 past the end', async () => {
    await link({
      assignList: [
        { labelCode: '04507B0AC392', articleIdList: ['C42'], templateName: 'ROOM.xsl' },
        { labelCode: '04507B0AC391', articleIdList: ['S1'] },
      ],
    });
    const page = await aimsCall(sim, '/api/v2/common/labels', {
      token,
      query: { ...store, size: '1', page: '1' },
    });
    expect(page).toMatchObject({
      status: 200,
      body: {
        responseCode: '200',
        responseMessage: 'SUCCESS',
        labelList: [
          {
            labelCode: '04507B0AC392',
            updateStatus: 'SUCCESS',
            articleList: [{ articleId: 'C42', articleName: 'Room Orion' }],
            templateName: ['ROOM.xsl'],
          },
        ],
      },
    });
    expect(
      (await aimsCall(sim, '/api/v2/common/labels', { token, query: { ...store, size: '1', page: '2' } }))
        .status,
    ).toBe(204);
  });
});

describe('inspection page', () => {
  it('renders companies, call counters and label cards as HTML, escaping what clients wrote', async () => {
    await aimsCall(sim, '/api/v2/common/articles', {
      method: 'POST',
      token,
      query: store,
      body: [{ articleId: 'X1', articleName: '<script>alert(1)</script>', data: { NOTE: '"quoted" & <b>' } }],
    });
    await aimsCall(sim, '/api/v2/common/labels/link', {
      method: 'POST',
      token,
      query: store,
      body: { assignList: [{ labelCode: '0000000000AA', articleIdList: ['X1'] }] },
    });
    const page = await fetch(`${sim.url}/__sim?company=${COMPANY}&store=${STORE}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('Company ABC');
    expect(html).toContain('0000000000AA');
    expect(html).toContain('POST /api/v2/common/labels/link');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(USER.password);
  });
});
