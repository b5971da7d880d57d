import type { Resource } from "../../../resources/index.ts";
import type { ResourceStore, StoreEvent } from "../../../store/index.ts";

/** ContractOpenOptions are what a contract test may ask of the store it opens. */
export interface ContractOpenOptions {
  historyLimit?: number;
}

/** OpenStore opens a fresh, empty store for one test. */
export type OpenStore = (options?: ContractOpenOptions) => Promise<ResourceStore>;

/** withStore runs a test body against a fresh store and always closes it. */
export async function withStore(open: OpenStore, body: (store: ResourceStore) => Promise<void>, options?: ContractOpenOptions): Promise<void> {
  const store = await open(options);
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** record collects every event a watch delivers. */
export function record(store: ResourceStore, options: Parameters<ResourceStore["watch"]>[0] = {}): { events: StoreEvent[]; close(): void } {
  const events: StoreEvent[] = [];
  const watch = store.watch(options, (event) => events.push(event));
  return { events, close: () => watch.close() };
}

/** mutable returns a changeable copy of a stored (frozen) object. */
export function mutable(obj: Resource): Resource {
  return structuredClone(obj);
}

