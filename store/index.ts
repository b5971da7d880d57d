/** store is the versioned resource store: the interface every backend satisfies and its implementations. */
export * from "./store.ts";
export { MemoryStore, rfc3339, type Persistence, type JournalRecord, type StoreOptions } from "./memory-store.ts";
export { compileSelectors, parseLabelSelector, fieldValue, type Matcher } from "./selectors.ts";
export { openDurableStore, STORE_DIR, LOCK_FILE, type DurableStoreOptions } from "./durable-store.ts";
export { JournalCorruptError, StoreLockedError, SecretKeyError, JournalFailedError } from "./durable-errors.ts";
export { SECRET_KEY_FILE } from "./secret-cipher.ts";
