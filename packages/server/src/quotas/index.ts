/**
 * Rate limit quotas: Vault's sys/quotas API, the quota manager the HTTP
 * layer consults on each request, and the per-client rate limiter.
 */
export { quotaPaths } from './path-quotas.js';
export { DEFAULT_EXEMPT_PATHS, QuotaManager, type QuotaCheck, type QuotaConfig } from './quota-manager.js';
export { MAX_CLIENTS_PER_QUOTA, RateLimiter, type RateLimitDecision, type RateLimitQuota } from './rate-limiter.js';
