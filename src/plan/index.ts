export { formatPlan, summarize } from './format.js';
export { configHash, stableStringify } from './hash.js';
export { type PlanOptions, planStart, planUp, serviceHash } from './plan.js';
export { type Action, type ActionKind, isEmpty, type Plan, type RecreateReason } from './types.js';
