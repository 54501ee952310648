import { SimulatorConfigError } from './failures.ts';
import { StoreData, type StoreLimits } from './store.ts';
import { AIMS_CLUSTERS, type AimsCluster } from './tokens.ts';

/** A company as the control API provisions it. Provisioning an existing company adds to it. */
export interface CompanyProvision {
  /** The `company` query parameter, e.g. `ABC`. */
  code: string;
  /** The cluster the company lives on; its users, tokens and stores answer only there. Default `common`. */
  cluster?: AimsCluster;
  users?: Array<{ username: string; password: string }>;
  /** Store codes (the `store` query parameter). */
  stores?: string[];
  /** `expires_in` of the access tokens this company's users get. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** How long a refresh token stays usable. Default 1,209,600 (14 days, as AIMS's v3 refresh says). */
  refreshTokenLifetimeSeconds?: number;
}

export interface Company {
  code: string;
  cluster: AimsCluster;
  /** username → password. */
  users: Map<string, string>;
  stores: Map<string, StoreData>;
  tokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
}

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3_600;
export const DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS = 1_209_600;

const MAX_COMPANIES = 1_000;
const MAX_STORES_PER_COMPANY = 1_000;
const MAX_USERS_PER_COMPANY = 100;
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export class CompanyRegistry {
  readonly #companies = new Map<string, Company>();
  readonly #storeLimits: StoreLimits;
  readonly #now: () => number;

  constructor(storeLimits: StoreLimits, now: () => number) {
    this.#storeLimits = storeLimits;
    this.#now = now;
  }

  get(code: string): Company | undefined {
    return this.#companies.get(code);
  }

  all(): Company[] {
    return [...this.#companies.values()];
  }

  /** The company whose user `username` is, on `cluster` (usernames are unique across companies). */
  byUser(username: string, cluster: AimsCluster): Company | undefined {
    for (const company of this.#companies.values()) {
      if (company.cluster === cluster && company.users.has(username)) return company;
    }
    return undefined;
  }

  provision(input: CompanyProvision): Company {
    if (typeof input !== 'object' || input === null)
      throw new SimulatorConfigError('a company must be an object');
    const code = checkCode(input.code, 'code');
    const cluster = input.cluster ?? 'common';
    if (!(AIMS_CLUSTERS as readonly string[]).includes(cluster)) {
      throw new SimulatorConfigError(`cluster must be one of ${AIMS_CLUSTERS.join(', ')}`);
    }
    const existing = this.#companies.get(code);
    if (existing && existing.cluster !== cluster) {
      throw new SimulatorConfigError(`company ${code} lives on cluster ${existing.cluster}`);
    }
    if (!existing && this.#companies.size >= MAX_COMPANIES) {
      throw new SimulatorConfigError(`at most ${MAX_COMPANIES} companies`);
    }
    const tokenLifetimeSeconds = lifetime(input.tokenLifetimeSeconds, 'tokenLifetimeSeconds');
    const refreshTokenLifetimeSeconds = lifetime(
      input.refreshTokenLifetimeSeconds,
      'refreshTokenLifetimeSeconds',
    );
    const users = input.users ?? [];
    if (!Array.isArray(users)) throw new SimulatorConfigError('users must be an array');
    if (input.stores !== undefined && !Array.isArray(input.stores)) {
      throw new SimulatorConfigError('stores must be an array of store codes');
    }
    for (const user of users) {
      if (typeof user?.username !== 'string' || user.username === '' || typeof user.password !== 'string') {
        throw new SimulatorConfigError('each user needs a username and a password');
      }
      const owner = this.#byUserAnyCluster(user.username);
      if (owner && owner.code !== code) {
        throw new SimulatorConfigError(`user ${user.username} belongs to company ${owner.code}`);
      }
    }
    const storeCodes = (input.stores ?? []).map((store) => checkCode(store, 'store'));

    const company: Company = existing ?? {
      code,
      cluster,
      users: new Map(),
      stores: new Map(),
      tokenLifetimeSeconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
      refreshTokenLifetimeSeconds: DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS,
    };
    if (
      company.users.size + users.filter((u) => !company.users.has(u.username)).length >
      MAX_USERS_PER_COMPANY
    ) {
      throw new SimulatorConfigError(`at most ${MAX_USERS_PER_COMPANY} users per company`);
    }
    if (
      company.stores.size + storeCodes.filter((s) => !company.stores.has(s)).length >
      MAX_STORES_PER_COMPANY
    ) {
      throw new SimulatorConfigError(`at most ${MAX_STORES_PER_COMPANY} stores per company`);
    }
    for (const user of users) company.users.set(user.username, user.password);
    for (const store of storeCodes) {
      if (!company.stores.has(store))
        company.stores.set(store, new StoreData(store, this.#storeLimits, this.#now));
    }
    if (tokenLifetimeSeconds !== undefined) company.tokenLifetimeSeconds = tokenLifetimeSeconds;
    if (refreshTokenLifetimeSeconds !== undefined)
      company.refreshTokenLifetimeSeconds = refreshTokenLifetimeSeconds;
    this.#companies.set(code, company);
    return company;
  }

  remove(code: string): void {
    this.#companies.delete(code);
  }

  clear(): void {
    this.#companies.clear();
  }

  #byUserAnyCluster(username: string): Company | undefined {
    return this.all().find((company) => company.users.has(username));
  }
}

function checkCode(value: unknown, name: string): string {
  if (typeof value !== 'string' || !CODE.test(value)) {
    throw new SimulatorConfigError(`${name} must be 1 to 64 letters, digits, '_', '.' or '-'`);
  }
  return value;
}

function lifetime(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 31_536_000) {
    throw new SimulatorConfigError(`${name} must be a whole number of seconds from 1 to 31536000`);
  }
  return value;
}
