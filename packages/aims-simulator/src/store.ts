import { invalidParameter, licenseError } from './failures.ts';

export type ArticleDataValue = string | number | boolean | null;

/** One article as `POST|PUT /api/v2/common/articles` takes it (an element of `articlesByJSON`). */
export interface ArticleInput {
  articleId: string;
  articleName: string;
  nfcUrl: string;
  eans: string[];
  data: Record<string, ArticleDataValue>;
}

interface StoredArticle extends ArticleInput {
  generateDate: string;
  lastUpdated: string;
  /** Labels showing this article, kept in step with each label's `articleIds`. */
  labelCodes: Set<string>;
}

interface StoredLabel {
  labelCode: string;
  articleIds: string[];
  templateName: string | null;
  /** The page the label displays, 1..7 (`labels/page`); a new link shows page 1. */
  page: number;
  updatedAt: string;
}

/** An element of `articleList` in `GET /api/v2/common/articles` (`getArticles`, plus `data`). */
export interface ListedArticle {
  articleId: string;
  articleName: string;
  nfcUrl: string;
  labelCount: number;
  EANs: string[];
  data: Record<string, ArticleDataValue>;
  generateDate: string;
  lastUpdated: string;
}

/** An element of `labelList` in `GET /api/v2/common/labels` (`getLabels`, the fields a simulator can know). */
export interface ListedLabel {
  labelCode: string;
  updateStatus: 'SUCCESS';
  articleList: Array<{ articleId: string; articleName: string }>;
  templateName: string[];
  networkStatus: true;
  lastResponsetime: string;
}

/** What a label shows, for the inspection endpoint and page. */
export interface LabelView {
  labelCode: string;
  page: number;
  templateName: string | null;
  updatedAt: string;
  articles: Array<
    | {
        articleId: string;
        found: true;
        articleName: string;
        nfcUrl: string;
        data: Record<string, ArticleDataValue>;
      }
    | { articleId: string; found: false }
  >;
}

export interface StoreLimits {
  maxArticles: number;
  maxLabels: number;
  /** Articles per upsert or delete, labels per link, unlink or page change (AIMS batches are ≤ 500). */
  maxItemsPerCall: number;
  maxPageSize: number;
}

// Bounds on one article. AIMS's document states none; these keep a runaway client from filling memory
// while leaving room for any real article.
const MAX_ID_LENGTH = 255;
const MAX_TEXT_LENGTH = 2_048;
const MAX_EANS = 50;
const MAX_DATA_FIELDS = 200;
const MAX_ARTICLES_PER_LABEL = 10;
const DEFAULT_PAGE_SIZE = 50;
const LABEL_CODE = /^[0-9A-F]{12}$/i;
const ARTICLE_SORTS = ['articleId,asc', 'articleId,desc'] as const;
/** Sorts the document lists that the simulator does not implement: refused explicitly, not ignored. */
const UNSUPPORTED_ARTICLE_SORTS = new Set([
  'articleName,asc',
  'articleName,desc',
  'nfcUrl,asc',
  'nfcUrl,desc',
  'generateDate,asc',
  'generateDate,desc',
  'lastUpdated,asc',
  'lastUpdated,desc',
]);

/** AIMS's timestamp format, e.g. `2021-05-12 08:58:56.069575` (UTC). */
export function aimsTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}000`;
}

/**
 * The articles and labels of one store. Articles sit in a Map (O(1) upsert and delete); paging goes
 * through an array of ids sorted once and cached until the next insert or delete, so a page costs
 * O(page size) however large the store.
 */
export class StoreData {
  readonly code: string;
  readonly #articles = new Map<string, StoredArticle>();
  readonly #labels = new Map<string, StoredLabel>();
  #sortedArticleIds: string[] | null = null;
  #sortedLabelCodes: string[] | null = null;
  readonly #limits: StoreLimits;
  readonly #now: () => number;

  constructor(code: string, limits: StoreLimits, now: () => number) {
    this.code = code;
    this.#limits = limits;
    this.#now = now;
  }

  get articleCount(): number {
    return this.#articles.size;
  }

  get labelCount(): number {
    return this.#labels.size;
  }

  /** `POST|PUT /articles`: adds or replaces each article; all or nothing. */
  upsertArticles(body: unknown): void {
    const items = this.#batch(body, 'body', 'articles');
    const articles = items.map((item, index) => parseArticle(item, index));
    const newIds = new Set(articles.map((a) => a.articleId).filter((id) => !this.#articles.has(id)));
    if (this.#articles.size + newIds.size > this.#limits.maxArticles) {
      throw licenseError(
        `Can not add more articles please contact SoluM (this store holds at most ${this.#limits.maxArticles})`,
      );
    }
    const now = aimsTimestamp(this.#now());
    for (const article of articles) {
      const existing = this.#articles.get(article.articleId);
      this.#articles.set(article.articleId, {
        ...article,
        generateDate: existing?.generateDate ?? now,
        lastUpdated: now,
        labelCodes: existing?.labelCodes ?? new Set(),
      });
    }
    if (newIds.size > 0) this.#sortedArticleIds = null;
  }

  /** `DELETE /articles {articleDeleteList}`: ids the store does not hold are ignored. */
  deleteArticles(body: unknown): void {
    const ids = this.#batch(field(body, 'articleDeleteList'), 'articleDeleteList', 'article ids');
    ids.forEach((id, index) => {
      if (typeof id !== 'string' || id === '') {
        throw invalidParameter(`articleDeleteList[${index}] must be a non-empty string`);
      }
    });
    for (const id of ids as string[]) {
      const article = this.#articles.get(id);
      if (!article) continue;
      for (const labelCode of article.labelCodes) {
        const label = this.#labels.get(labelCode);
        if (label) label.articleIds = label.articleIds.filter((linked) => linked !== id);
      }
      this.#articles.delete(id);
      this.#sortedArticleIds = null;
    }
  }

  /** `GET /articles`: one page, or null for an empty page (AIMS answers 204 No Content). */
  listArticles(query: URLSearchParams): { totalArticleCnt: number; articleList: ListedArticle[] } | null {
    const { page, size } = this.#paging(query);
    const sort = query.get('sort') ?? 'articleId,asc';
    if (UNSUPPORTED_ARTICLE_SORTS.has(sort)) {
      throw invalidParameter(`sort "${sort}" is not supported by the simulator (use articleId,asc or desc)`);
    }
    if (!(ARTICLE_SORTS as readonly string[]).includes(sort)) throw invalidParameter(`sort "${sort}"`);

    const id = query.get('id');
    if (id !== null) {
      const article = this.#articles.get(id);
      if (!article || page > 0) return null;
      return { totalArticleCnt: 1, articleList: [listed(article)] };
    }
    this.#sortedArticleIds ??= [...this.#articles.keys()].sort(compareCodes);
    const ids = this.#sortedArticleIds;
    const total = ids.length;
    const start = page * size;
    if (start >= total) return null;
    const articleList: ListedArticle[] = [];
    for (let i = start; i < Math.min(start + size, total); i++) {
      const index = sort === 'articleId,desc' ? total - 1 - i : i;
      articleList.push(listed(this.#articles.get(ids[index]!)!));
    }
    return { totalArticleCnt: total, articleList };
  }

  /** `POST /labels/link {assignList}`: each label shows the given articles from page 1 on. */
  linkLabels(body: unknown): void {
    const items = this.#batch(field(body, 'assignList'), 'assignList', 'labels');
    const assignments = items.map((item, index) => {
      const at = `assignList[${index}]`;
      const labelCode = parseLabelCode(field(item, 'labelCode'), `${at}.labelCode`);
      const articleIds = field(item, 'articleIdList');
      if (
        !Array.isArray(articleIds) ||
        articleIds.length === 0 ||
        articleIds.length > MAX_ARTICLES_PER_LABEL ||
        !articleIds.every((id) => typeof id === 'string' && id !== '')
      ) {
        throw invalidParameter(`${at}.articleIdList must hold 1 to ${MAX_ARTICLES_PER_LABEL} article ids`);
      }
      for (const id of articleIds as string[]) {
        if (!this.#articles.has(id))
          throw invalidParameter(`article "${id}" does not exist in store ${this.code}`);
      }
      const templateName = optionalText(field(item, 'templateName'), `${at}.templateName`);
      return { labelCode, articleIds: articleIds as string[], templateName: templateName || null };
    });
    const newLabels = new Set(assignments.map((a) => a.labelCode).filter((code) => !this.#labels.has(code)));
    if (this.#labels.size + newLabels.size > this.#limits.maxLabels) {
      throw licenseError('Can not add more labels please contact SoluM');
    }
    const now = aimsTimestamp(this.#now());
    for (const assignment of assignments) {
      const label = this.#labels.get(assignment.labelCode);
      if (label) this.#detach(label);
      const linked: StoredLabel = { ...assignment, page: 1, updatedAt: now };
      this.#labels.set(linked.labelCode, linked);
      for (const id of linked.articleIds) this.#articles.get(id)?.labelCodes.add(linked.labelCode);
    }
    if (newLabels.size > 0) this.#sortedLabelCodes = null;
  }

  /** `POST /labels/unlink {unAssignList}`: the labels stay registered in the store, showing nothing. */
  unlinkLabels(body: unknown): void {
    const codes = this.#batch(field(body, 'unAssignList'), 'unAssignList', 'labels').map((code, index) =>
      this.#registeredLabel(code, `unAssignList[${index}]`),
    );
    const now = aimsTimestamp(this.#now());
    for (const label of codes) {
      this.#detach(label);
      label.articleIds = [];
      label.updatedAt = now;
    }
  }

  /** `POST /labels/page {pageChangeList}`: labels switch to the page given (1..7). */
  changePages(body: unknown): void {
    const changes = this.#batch(field(body, 'pageChangeList'), 'pageChangeList', 'labels').map(
      (item, index) => {
        const at = `pageChangeList[${index}]`;
        const label = this.#registeredLabel(field(item, 'labelCode'), `${at}.labelCode`);
        const page = field(item, 'page');
        if (typeof page !== 'number' || !Number.isInteger(page) || page < 1 || page > 7) {
          throw invalidParameter(`${at}.page must be an integer from 1 to 7`);
        }
        return { label, page };
      },
    );
    const now = aimsTimestamp(this.#now());
    for (const { label, page } of changes) {
      label.page = page;
      label.updatedAt = now;
    }
  }

  /** `GET /labels`: one page, or null for an empty page (204). */
  listLabels(query: URLSearchParams): { labelList: ListedLabel[] } | null {
    const { page, size } = this.#paging(query);
    const only = query.get('label');
    if (only !== null) {
      const label = this.#labels.get(only.toUpperCase());
      return label && page === 0 ? { labelList: [this.#listedLabel(label)] } : null;
    }
    this.#sortedLabelCodes ??= [...this.#labels.keys()].sort(compareCodes);
    const codes = this.#sortedLabelCodes.slice(page * size, page * size + size);
    return codes.length === 0
      ? null
      : { labelList: codes.map((code) => this.#listedLabel(this.#labels.get(code)!)) };
  }

  /** Every label and what it shows, in label-code order, for people and tests. */
  labelViews(): LabelView[] {
    this.#sortedLabelCodes ??= [...this.#labels.keys()].sort(compareCodes);
    return this.#sortedLabelCodes.map((code) => {
      const label = this.#labels.get(code)!;
      return {
        labelCode: label.labelCode,
        page: label.page,
        templateName: label.templateName,
        updatedAt: label.updatedAt,
        articles: label.articleIds.map((articleId) => {
          const article = this.#articles.get(articleId);
          return article
            ? {
                articleId,
                found: true as const,
                articleName: article.articleName,
                nfcUrl: article.nfcUrl,
                data: article.data,
              }
            : { articleId, found: false as const };
        }),
      };
    });
  }

  /** Every article, in article-id order (tests assert on what a sync left behind). */
  articleList(): ListedArticle[] {
    this.#sortedArticleIds ??= [...this.#articles.keys()].sort(compareCodes);
    return this.#sortedArticleIds.map((id) => listed(this.#articles.get(id)!));
  }

  clear(): void {
    this.#articles.clear();
    this.#labels.clear();
    this.#sortedArticleIds = null;
    this.#sortedLabelCodes = null;
  }

  #batch(value: unknown, name: string, what: string): unknown[] {
    if (!Array.isArray(value)) throw invalidParameter(`${name} must be an array`);
    if (value.length === 0) throw invalidParameter(`${name} is empty`);
    if (value.length > this.#limits.maxItemsPerCall) {
      throw invalidParameter(
        `at most ${this.#limits.maxItemsPerCall} ${what} per request (got ${value.length})`,
      );
    }
    return value;
  }

  #paging(query: URLSearchParams): { page: number; size: number } {
    const page = nonNegativeInteger(query.get('page'), 'page') ?? 0;
    const size = nonNegativeInteger(query.get('size'), 'size') ?? DEFAULT_PAGE_SIZE;
    if (size < 1 || size > this.#limits.maxPageSize) {
      throw invalidParameter(`size must be from 1 to ${this.#limits.maxPageSize}`);
    }
    return { page, size };
  }

  #registeredLabel(value: unknown, at: string): StoredLabel {
    const label = this.#labels.get(parseLabelCode(value, at));
    if (!label) throw invalidParameter(`label ${String(value)} is not registered in store ${this.code}`);
    return label;
  }

  #detach(label: StoredLabel): void {
    for (const id of label.articleIds) this.#articles.get(id)?.labelCodes.delete(label.labelCode);
  }

  #listedLabel(label: StoredLabel): ListedLabel {
    return {
      labelCode: label.labelCode,
      updateStatus: 'SUCCESS',
      articleList: label.articleIds.map((articleId) => ({
        articleId,
        articleName: this.#articles.get(articleId)?.articleName ?? '',
      })),
      templateName: label.templateName ? [label.templateName] : [],
      networkStatus: true,
      lastResponsetime: label.updatedAt,
    };
  }
}

/** Plain code-unit order: what `sort=articleId,asc` means for ids like `B100001` or `C42`. */
function compareCodes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function listed(article: StoredArticle): ListedArticle {
  return {
    articleId: article.articleId,
    articleName: article.articleName,
    nfcUrl: article.nfcUrl,
    labelCount: article.labelCodes.size,
    EANs: article.eans,
    data: article.data,
    generateDate: article.generateDate,
    lastUpdated: article.lastUpdated,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, name: string): unknown {
  return isRecord(value) ? value[name] : undefined;
}

function parseArticle(item: unknown, index: number): ArticleInput {
  const at = `[${index}]`;
  if (!isRecord(item)) throw invalidParameter(`${at} must be an article object`);
  const { articleId, eans, data } = item;
  if (typeof articleId !== 'string' || articleId.trim() === '' || articleId.length > MAX_ID_LENGTH) {
    throw invalidParameter(
      `${at}.articleId must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
    );
  }
  if (eans !== undefined && eans !== null) {
    if (
      !Array.isArray(eans) ||
      eans.length > MAX_EANS ||
      !eans.every((ean) => typeof ean === 'string' && ean.length <= MAX_ID_LENGTH)
    ) {
      throw invalidParameter(`${at}.eans must be an array of at most ${MAX_EANS} strings`);
    }
  }
  let parsedData: Record<string, ArticleDataValue> = {};
  if (data !== undefined && data !== null) {
    if (!isRecord(data)) throw invalidParameter(`${at}.data must be an object`);
    const entries = Object.entries(data);
    if (entries.length > MAX_DATA_FIELDS)
      throw invalidParameter(`${at}.data has more than ${MAX_DATA_FIELDS} fields`);
    for (const [key, value] of entries) {
      const scalar =
        value === null ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && value.length <= MAX_TEXT_LENGTH);
      if (key.length > MAX_ID_LENGTH || !scalar) {
        throw invalidParameter(`${at}.data.${key.slice(0, 40)} must be a string, number, boolean or null`);
      }
    }
    // fromEntries defines own properties, so a field named "__proto__" stays a field.
    parsedData = Object.fromEntries(entries) as Record<string, ArticleDataValue>;
  }
  return {
    articleId,
    articleName: optionalText(item.articleName, `${at}.articleName`),
    nfcUrl: optionalText(item.nfcUrl, `${at}.nfcUrl`),
    eans: (eans as string[] | undefined | null) ?? [],
    data: parsedData,
  };
}

function optionalText(value: unknown, at: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH) {
    throw invalidParameter(`${at} must be a string of at most ${MAX_TEXT_LENGTH} characters`);
  }
  return value;
}

function parseLabelCode(value: unknown, at: string): string {
  if (typeof value !== 'string' || !LABEL_CODE.test(value)) {
    throw invalidParameter(`${at} must be a 12-character hexadecimal label code`);
  }
  return value.toUpperCase();
}

function nonNegativeInteger(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) throw invalidParameter(`${name} must be a non-negative integer`);
  return Number(value);
}
