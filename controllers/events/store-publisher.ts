import type { ResourceStore, Watch } from "../../store/index.ts";
import type { EventBus } from "./bus.ts";

/**
 * publishStoreChanges publishes every change committed to the store from now on (the current revision) to
 * `berth.changes.<namespace>.<kind>.<name>`, in revision order. Close the returned watch to stop.
 */
export function publishStoreChanges(store: ResourceStore, bus: Pick<EventBus, "publishChange">): Watch {
  return store.watch({ resourceVersion: String(store.revision()) }, (event) => bus.publishChange(event));
}
