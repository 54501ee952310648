export type { CallRecord, CallReport, EndpointCounters, FaultApplied } from './call-log.ts';
export type { CompanyProvision } from './companies.ts';
export type { AimsFaults } from './faults.ts';
export { NO_FAULTS } from './faults.ts';
export { seededRandom } from './seeded-random.ts';
export {
  type AimsSimulatorOptions,
  type RunningAimsSimulator,
  startAimsSimulator,
} from './server.ts';
export {
  type AimsSimulatorControl,
  type CompanySummary,
  DEFAULT_MAX_ARTICLES_PER_STORE,
  DEFAULT_MAX_LABELS_PER_STORE,
  MAX_ITEMS_PER_CALL,
  MAX_PAGE_SIZE,
} from './simulator.ts';
export type { ArticleDataValue, LabelView, ListedArticle, ListedLabel } from './store.ts';
export { AIMS_CLUSTERS, type AimsCluster } from './tokens.ts';
