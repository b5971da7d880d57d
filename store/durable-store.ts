import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../lib/logger.ts";
import { JournalPersistence } from "./durable-persistence.ts";
import { MemoryStore } from "./memory-store.ts";
import { acquireLock } from "./process-lock.ts";
import { SecretCipher } from "./secret-cipher.ts";

/** DurableStoreOptions configure openDurableStore. */
export interface DurableStoreOptions {
  /** dataDir is the daemon's data directory; the store lives in `<dataDir>/store`, the Secret key in `<dataDir>/secret.key`. */
  dataDir: string;
  logger: Logger;
  /** historyLimit is how many events watches can resume from. */
  historyLimit?: number;
  /** compactBytes and compactRecords bound a journal segment before it is compacted into the snapshot. */
  compactBytes?: number;
  compactRecords?: number;
  now?: () => Date;
  /** onPersistenceFailure: see StoreOptions; berthd exits on it and recovers from disk at the next start. */
  onPersistenceFailure?: (error: Error) => void;
}

/** STORE_DIR is the store's directory inside the data directory. */
export const STORE_DIR = "store";
/** LOCK_FILE holds the pid of the process that has the store open. */
export const LOCK_FILE = "LOCK";

/**
 * openDurableStore opens (or creates) the store of a data directory: it takes the process lock, loads the
 * snapshot and replays the journal, and returns a MemoryStore whose writes are acknowledged only once fsynced.
 * Closing the store releases the lock.
 */
export async function openDurableStore(options: DurableStoreOptions): Promise<MemoryStore> {
  const dir = path.join(options.dataDir, STORE_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await acquireLock(path.join(dir, LOCK_FILE));
  try {
    const cipher = await SecretCipher.open(options.dataDir);
    const persistence = new JournalPersistence({
      dir,
      cipher,
      logger: options.logger,
      lock,
      ...(options.compactBytes !== undefined ? { compactBytes: options.compactBytes } : {}),
      ...(options.compactRecords !== undefined ? { compactRecords: options.compactRecords } : {}),
    });
    return await MemoryStore.open(persistence, {
      ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.onPersistenceFailure ? { onPersistenceFailure: options.onPersistenceFailure } : {}),
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
}
