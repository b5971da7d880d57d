import { ConflictError, NotFoundError, type Resource } from "../../resources/index.ts";
import type { ObjectKey, ResourceStore } from "../../store/index.ts";

/** DEFAULT_CONFLICT_ATTEMPTS is how many times a read-modify-write is tried before its ConflictError is thrown. */
export const DEFAULT_CONFLICT_ATTEMPTS = 5;

/** getIfExists reads the latest state of an object, or undefined when it is gone (any other error is thrown). */
export async function getIfExists(store: ResourceStore, key: ObjectKey): Promise<Resource | undefined> {
  try {
    return await store.get(key);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * retryOnConflict runs a read-modify-write `attempt` again while it fails with ConflictError (someone else
 * wrote in between), at most `attempts` times; each run must re-read the object. Other errors, and the last
 * ConflictError, are thrown.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, attempts = DEFAULT_CONFLICT_ATTEMPTS): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConflictError) || i >= attempts) throw err;
    }
  }
}
