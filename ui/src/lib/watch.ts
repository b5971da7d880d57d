import { ApiError, readLines, request } from "./api.ts";

/** WatchEvent is one line of a Kubernetes watch. */
export interface WatchEvent<T = unknown> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** ConnectionState is what the header shows: following live, (re)connecting, or signed out. */
export type ConnectionState = "connecting" | "live" | "offline";

/** WatchOptions describe one resumable watch. */
export interface WatchOptions<T> {
  /** path is the collection's URL; `watch=1`, `allowWatchBookmarks=1` and `resourceVersion` are added. */
  path: string;
  /** query holds more parameters (labelSelector...). */
  query?: Record<string, string>;
  accept?: string;
  /**
   * list, when given, reads the collection and returns the revision to watch from (the list-then-watch of a
   * Kubernetes informer); it runs at the start and after a 410 Expired. Without it the watch starts at "0",
   * whose first events are the current objects, ended by a BOOKMARK annotated `k8s.io/initial-events-end`.
   */
  list?: (signal: AbortSignal) => Promise<string>;
  /** replayOnReconnect starts every connection from "0" (the events stream, which keeps no revisions to resume from). */
  replayOnReconnect?: boolean;
  /** onEvent receives every event but BOOKMARKs and ERRORs. */
  onEvent(event: WatchEvent<T>): void;
  /** onRelist runs when the watch starts over from "0" (first start, 410): the receiver is about to get every object again. */
  onRelist?(): void;
  /** onSynced runs when the initial objects have all arrived. */
  onSynced?(): void;
  /** onBatch runs after each network chunk of events, to render a burst once. */
  onBatch?(): void;
  onState?(state: ConnectionState, detail?: string): void;
}

/** Watch is a running watch; close() ends it for good. */
export interface Watch {
  close(): void;
}

const INITIAL_EVENTS_END = "k8s.io/initial-events-end";
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 2_000;

/**
 * startWatch follows a collection and never gives up: when the stream ends (a restarted daemon, a network
 * hiccup) it reconnects with backoff and resumes from the last resourceVersion it saw, so nothing is missed and
 * nothing is listed twice; if the API no longer has that revision (410 Expired) it starts over from a list.
 * The stream is read with fetch, so the token goes in a header (EventSource cannot send one).
 */
export function startWatch<T extends { metadata?: { resourceVersion?: string; annotations?: Record<string, string> } }>(options: WatchOptions<T>): Watch {
  const abort = new AbortController();
  let resourceVersion: string | undefined;
  let backoff = MIN_BACKOFF_MS;

  const connect = async (): Promise<void> => {
    options.onState?.("connecting");
    if (options.replayOnReconnect) resourceVersion = undefined;
    if (resourceVersion === undefined) {
      options.onRelist?.();
      resourceVersion = options.list ? await options.list(abort.signal) : "0";
    }
    const query = new URLSearchParams({ ...options.query, watch: "1", allowWatchBookmarks: "1", resourceVersion });
    // The initial objects of a watch from "0" come in no revision order: until the BOOKMARK that ends them,
    // no revision is safe to resume from, and a stream cut short there starts over.
    let syncing = resourceVersion === "0";
    if (syncing) resourceVersion = undefined;
    const response = await request(`${options.path}?${query}`, { signal: abort.signal, ...(options.accept ? { accept: options.accept } : {}) });
    options.onState?.("live");
    let expired = false;
    await readLines(
      response,
      (line) => {
        if (!line.trim() || expired) return;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === "ERROR") {
          const status = event.object as { code?: number; message?: string };
          if (status.code === 410) expired = true;
          else throw new ApiError(status.message ?? "watch error", status.code ?? 500);
          return;
        }
        backoff = MIN_BACKOFF_MS;
        const rv = event.object.metadata?.resourceVersion;
        if (event.type === "BOOKMARK") {
          if (event.object.metadata?.annotations?.[INITIAL_EVENTS_END] === "true") {
            syncing = false;
            options.onSynced?.();
          }
          if (rv && !syncing) resourceVersion = rv;
          return;
        }
        if (rv && !syncing) resourceVersion = rv;
        options.onEvent(event);
      },
      options.onBatch,
    );
    if (expired) resourceVersion = undefined;
  };

  const loop = async () => {
    while (!abort.signal.aborted) {
      try {
        await connect();
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof ApiError && error.code === 401) {
          options.onState?.("offline", "signed out");
          return;
        }
        if (error instanceof ApiError && error.code === 410) resourceVersion = undefined;
        options.onState?.("connecting", (error as Error).message);
      }
      if (abort.signal.aborted) return;
      options.onState?.("connecting");
      await new Promise((resolve) => setTimeout(resolve, resourceVersion === undefined ? 0 : backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  };
  void loop();
  return { close: () => abort.abort() };
}
