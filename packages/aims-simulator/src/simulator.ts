import { CallLog, type CallReport } from './call-log.ts';
import { type Company, type CompanyProvision, CompanyRegistry } from './companies.ts';
import { SimulatorConfigError } from './failures.ts';
import { type AimsFaults, NO_FAULTS, parseFaults } from './faults.ts';
import type { LabelView, ListedArticle, StoreData } from './store.ts';
import { type AimsCluster, TokenRegistry } from './tokens.ts';

export interface SimulatorStateOptions {
  /** Companies to provision at start. */
  companies?: CompanyProvision[];
  /** Default 100,000; an upsert that would pass it is refused with 403 (License Error). */
  maxArticlesPerStore?: number;
  /** Default 10,000; a link that would register more labels is refused with 403. */
  maxLabelsPerStore?: number;
  /** The time in ms since the epoch (token expiry, timestamps). Tests share a hand-moved clock with the client. */
  now?: () => number;
  /** A number in [0, 1) for fault draws and latency jitter; a seeded source makes fault runs repeatable. */
  random?: () => number;
}

/** A company as the control API describes it: never its users' passwords. */
export interface CompanySummary {
  code: string;
  cluster: AimsCluster;
  usernames: string[];
  tokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  stores: Array<{ code: string; articles: number; labels: number }>;
  faults: AimsFaults;
}

/** The simulator's switches, the same in-process (`control`) and over HTTP (`/__sim/...`). */
export interface AimsSimulatorControl {
  /** Creates a company, or adds users and stores to it and updates its token lifetimes. */
  provision(company: CompanyProvision): CompanySummary;
  companies(): CompanySummary[];
  /** Replaces the company's faults: the fields given are switched on, all others off. */
  setFaults(company: string, faults: Partial<AimsFaults>): AimsFaults;
  faults(company: string): AimsFaults;
  calls(company: string): CallReport;
  /** Forgets the calls of one company, or of all. */
  clearCalls(company?: string): void;
  labels(company: string, store: string): LabelView[];
  articles(company: string, store: string): ListedArticle[];
  /**
   * With a company: empties its stores, revokes its tokens, switches its faults off and forgets its
   * calls (users, stores and lifetimes stay). Without: forgets every company.
   */
  reset(company?: string): void;
}

export const DEFAULT_MAX_ARTICLES_PER_STORE = 100_000;
export const DEFAULT_MAX_LABELS_PER_STORE = 10_000;
/** AIMS batches: at most 500 articles per upsert or delete, 500 labels per link, unlink or page change. */
export const MAX_ITEMS_PER_CALL = 500;
export const MAX_PAGE_SIZE = 500;

/** Everything the simulator holds, in memory. */
export class SimulatorState {
  readonly companies: CompanyRegistry;
  readonly tokens: TokenRegistry;
  readonly calls = new CallLog();
  readonly now: () => number;
  readonly random: () => number;
  readonly #faults = new Map<string, AimsFaults>();
  readonly control: AimsSimulatorControl;

  constructor(options: SimulatorStateOptions = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.companies = new CompanyRegistry(
      {
        maxArticles: positive(
          options.maxArticlesPerStore,
          DEFAULT_MAX_ARTICLES_PER_STORE,
          'maxArticlesPerStore',
        ),
        maxLabels: positive(options.maxLabelsPerStore, DEFAULT_MAX_LABELS_PER_STORE, 'maxLabelsPerStore'),
        maxItemsPerCall: MAX_ITEMS_PER_CALL,
        maxPageSize: MAX_PAGE_SIZE,
      },
      this.now,
    );
    this.tokens = new TokenRegistry(this.now);
    for (const company of options.companies ?? []) this.companies.provision(company);
    this.control = this.#makeControl();
  }

  /** The live faults of a company (mutable: a token revocation counts down). */
  faultsOf(company: string): AimsFaults {
    let faults = this.#faults.get(company);
    if (!faults) {
      faults = { ...NO_FAULTS };
      this.#faults.set(company, faults);
    }
    return faults;
  }

  #company(code: string): Company {
    const company = this.companies.get(code);
    if (!company) throw new SimulatorConfigError(`unknown company ${code}`);
    return company;
  }

  #store(companyCode: string, storeCode: string): StoreData {
    const store = this.#company(companyCode).stores.get(storeCode);
    if (!store) throw new SimulatorConfigError(`company ${companyCode} has no store ${storeCode}`);
    return store;
  }

  #summary(company: Company): CompanySummary {
    return {
      code: company.code,
      cluster: company.cluster,
      usernames: [...company.users.keys()],
      tokenLifetimeSeconds: company.tokenLifetimeSeconds,
      refreshTokenLifetimeSeconds: company.refreshTokenLifetimeSeconds,
      stores: [...company.stores.values()].map((store) => ({
        code: store.code,
        articles: store.articleCount,
        labels: store.labelCount,
      })),
      faults: { ...this.faultsOf(company.code) },
    };
  }

  #makeControl(): AimsSimulatorControl {
    return {
      provision: (company) => this.#summary(this.companies.provision(company)),
      companies: () => this.companies.all().map((company) => this.#summary(company)),
      setFaults: (company, faults) => {
        this.#company(company);
        const parsed = parseFaults(faults);
        this.#faults.set(company, parsed);
        return { ...parsed };
      },
      faults: (company) => {
        this.#company(company);
        return { ...this.faultsOf(company) };
      },
      calls: (company) => this.calls.report(company),
      clearCalls: (company) => this.calls.clear(company),
      labels: (company, store) => this.#store(company, store).labelViews(),
      articles: (company, store) => this.#store(company, store).articleList(),
      reset: (code) => {
        if (code === undefined) {
          this.companies.clear();
          this.tokens.clear();
          this.#faults.clear();
          this.calls.clear();
          return;
        }
        const company = this.#company(code);
        for (const store of company.stores.values()) store.clear();
        this.tokens.forgetCompany(code);
        this.#faults.delete(code);
        this.calls.clear(code);
      },
    };
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new SimulatorConfigError(`${name} must be a positive integer`);
  return value;
}
