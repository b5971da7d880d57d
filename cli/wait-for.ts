import { ServerError, WaitTimeoutError } from "./errors.ts";
import type { ApiClient } from "./http-client.ts";
import { resourcePath, type KindName } from "./kind-names.ts";

/** Observed is an object as a wait sees it; undefined once it is gone. */
export type Observed = Record<string, unknown> & { metadata?: { resourceVersion?: string; generation?: number } };

/** WaitTarget is one object to wait on. */
export interface WaitTarget {
  kind: KindName;
  namespace: string;
  name: string;
}

/**
 * waitFor resolves once `done` holds for the object (called with undefined when the object does not exist),
 * or throws WaitTimeoutError at the deadline. It lists the object by name, then watches from that listing's
 * revision, and lists again whenever the stream ends or has expired, so no change in between is missed.
 */
export async function waitFor(client: ApiClient, target: WaitTarget, done: (object: Observed | undefined) => boolean, deadline: number): Promise<Observed | undefined> {
  const path = resourcePath(target.kind, target.namespace);
  const fieldSelector = `metadata.name=${target.name}`;
  while (true) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new WaitTimeoutError(`timed out waiting for the condition on ${target.kind.plural}/${target.name}`);
    const list = await client.request<{ metadata?: { resourceVersion?: string }; items?: Observed[] }>({ path, query: { fieldSelector } });
    const current = list.items?.[0];
    if (done(current)) return current;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), remaining);
    let result: { object: Observed | undefined } | undefined;
    try {
      await client.watch<Observed>(
        { path, query: { fieldSelector, resourceVersion: list.metadata?.resourceVersion ?? "0" }, signal: controller.signal },
        (event) => {
          if (result || event.type === "BOOKMARK") return;
          const object = event.type === "DELETED" ? undefined : event.object;
          if (done(object)) {
            result = { object };
            controller.abort();
          }
        },
      );
    } catch (error) {
      // 410 Expired: the revision fell out of the server's history; list again.
      if (!(error instanceof ServerError && error.code === 410)) throw error;
    } finally {
      clearTimeout(timer);
    }
    if (result) return result.object;
  }
}
