import type { ResourceStore } from "../../store/index.ts";
import { Informer, type InformerOptions } from "./informer.ts";

/**
 * SharedInformers hands out one Informer per kind, as controller-runtime's manager cache does: the controllers
 * that watch the same kind share one list, one watch and one cache. With 10,000 Apps, four controllers each
 * listing and caching them on their own cost the daemon a second of start-up and their index memory four times.
 * Each controller adds its own handlers and indexes (index names must not collide: addIndex refuses a second
 * index of the same name).
 */
export class SharedInformers {
  private readonly store: ResourceStore;
  private readonly options: InformerOptions;
  private readonly informers = new Map<string, Informer>();

  constructor(store: ResourceStore, options: Omit<InformerOptions, "namespace" | "labelSelector"> = {}) {
    this.store = store;
    this.options = options;
  }

  /** get returns the informer of a kind, made on first request. */
  get(kind: string): Informer {
    let informer = this.informers.get(kind);
    if (!informer) {
      informer = new Informer(this.store, kind, this.options);
      this.informers.set(kind, informer);
    }
    return informer;
  }
}

/**
 * informerFor is how a controller gets the informer of a kind: the shared one when it was given shared
 * informers (the daemon), a private one otherwise (tests that run a controller alone).
 */
export function informerFor(shared: SharedInformers | undefined, store: ResourceStore, kind: string, options: InformerOptions = {}): Informer {
  return shared ? shared.get(kind) : new Informer(store, kind, options);
}
