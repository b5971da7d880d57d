import type { DockerClient } from "./client.ts";
import { DEFAULT_NETWORK_POOL, parseAddressPool, type AddressPool } from "./address-pool.ts";
import { ensureNamespaceNetwork } from "./networks.ts";

/**
 * NamespaceNetworks makes namespace networks for every controller of one berthd (Apps, Databases), from one
 * address pool, one creation at a time per namespace: Docker creates two networks of one name when asked twice
 * at once, and two controllers starting the first workloads of a namespace together would do just that.
 */
export class NamespaceNetworks {
  readonly docker: DockerClient;
  readonly pool: AddressPool;
  readonly instance: string | undefined;
  private readonly pending = new Map<string, Promise<string>>();
  /** allocating chains subnet allocations: concurrent namespaces would all pick the same first free subnet. */
  private allocating: Promise<unknown> = Promise.resolve();

  constructor(docker: DockerClient, options: { pool?: AddressPool | string; instance?: string } = {}) {
    this.docker = docker;
    this.pool = typeof options.pool === "object" ? options.pool : parseAddressPool(options.pool ?? DEFAULT_NETWORK_POOL);
    this.instance = options.instance;
  }

  /** ensure makes the namespace's network if it is missing and returns its name. */
  ensure(namespace: string, signal?: AbortSignal): Promise<string> {
    let pending = this.pending.get(namespace);
    if (!pending) {
      const serialize = <T>(step: () => Promise<T>): Promise<T> => {
        const run = this.allocating.then(step, step);
        this.allocating = run.catch(() => undefined);
        return run;
      };
      pending = ensureNamespaceNetwork(this.docker, namespace, signal, { pool: this.pool, serialize, ...(this.instance ? { instance: this.instance } : {}) })
        .finally(() => this.pending.delete(namespace));
      this.pending.set(namespace, pending);
    }
    return pending;
  }
}
