export { AUDIT_ACTIONS, AUDIT_NAME_PATTERN, type AuditAction, isAuditAction } from './actions.ts';
export {
  type AppendAuditOptions,
  type AppendedAuditEntry,
  type AuditEntryInput,
  appendAudit,
  appendAuditBatch,
  MAX_AUDIT_PAYLOAD_BYTES,
} from './append.ts';
export {
  type ChainFields,
  canonicalJson,
  computeChecksum,
  formatAuditTime,
  GENESIS,
  payloadHash,
  sha256Hex,
} from './chain.ts';
export {
  type AuditEntryDto,
  type AuditFilterOptions,
  type AuditPage,
  auditFilterOptions,
  type ExportAuditInput,
  exportAuditCsv,
  type ListAuditInput,
  listAudit,
  MAX_AUDIT_EXPORT_ROWS,
  ZExportAuditInput,
  ZListAuditInput,
} from './list.ts';
export { actorChain, type ChainActor, PLATFORM_AUDIT_CHAIN } from './platform.ts';
export {
  AUDIT_CHAIN_BREAKS,
  type AuditAnchor,
  type AuditChainBreak,
  type AuditIntegrityReport,
  type AuditVerifyResult,
  auditIntegrityReport,
  type VerifyAuditOptions,
  verifyAuditChain,
} from './verify.ts';
