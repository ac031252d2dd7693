/**
 * `@kraikub/adapter-memory`: in-memory `ClientStore` and `GrantStore` for
 * `@kraikub/core`.
 *
 * @packageDocumentation
 */
export { loadClientsFile, MemoryClientStore, parseClients } from './client-store.ts';
export type { MemoryGrantStoreOptions, MemoryGrantStoreSnapshot } from './grant-store.ts';
export { MemoryGrantStore } from './grant-store.ts';
export { MemoryInteractionStore } from './interaction-store.ts';
