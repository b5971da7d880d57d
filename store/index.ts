/** store is the versioned resource store: the interface every backend satisfies and its implementations. */
export * from "./store.ts";
export { MemoryStore, rfc3339, type Persistence, type JournalRecord, type StoreOptions } from "./memory-store.ts";
export { compileSelectors, parseLabelSelector, fieldValue, type Matcher } from "./selectors.ts";
