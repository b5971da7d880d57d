import type { Logger } from "../../lib/logger.ts";
import { informerFor, mappingSource, type Controller, type ControllerOptions, type Informer, type Key, type ReconcileContext, type Result, type SharedInformers, type Source } from "../runtime/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { LABELS, listNamespaceNetworks, removeNamespaceNetwork, type DockerClient } from "../docker/index.ts";

/** WORKLOAD_KINDS are the kinds whose containers join their namespace's network. */
export const WORKLOAD_KINDS = ["App", "Database"] as const;

/** NetworkControllerOptions wire the controller; `kinds` and `resyncMs` have defaults. */
export interface NetworkControllerOptions {
  store: ResourceStore;
  docker: DockerClient;
  logger: Logger;
  informers?: SharedInformers;
  /** instance is this berthd's id: only networks it made (or that predate instance labels) are removed. */
  instance: string;
  /** kinds whose objects keep a namespace's network (default WORKLOAD_KINDS). */
  kinds?: readonly string[];
  /** resyncMs rescans Docker's networks this often (default 60 s). */
  resyncMs?: number;
  controller?: ControllerOptions;
}

/** namespaceKey is the work-queue key of a namespace's networks. */
export function namespaceKey(namespace: string): Key {
  return `Namespace/${namespace}`;
}

/**
 * NetworkController removes a namespace's network once the namespace has no workload left, so namespaces can
 * come and go without using up the address pool (controllers/docker/address-pool.ts), and removes the networks
 * earlier releases made under other names once nothing uses them. Networks are made on demand by the workload
 * controllers (NamespaceNetworks); this controller only takes them away. A network Docker still finds in use
 * is left and looked at again later: the containers on it may still be stopping.
 */
export class NetworkController implements Controller {
  readonly name = "network-controller";
  /** kind is empty: namespaces are not stored objects, so the startup relist comes from the network scan. */
  readonly kind: readonly string[] = [];
  readonly options: ControllerOptions;
  private readonly docker: DockerClient;
  private readonly instance: string;
  private readonly workloads: Informer[];
  private readonly resyncMs: number;
  private readonly log: Logger;

  constructor(options: NetworkControllerOptions) {
    this.docker = options.docker;
    this.instance = options.instance;
    this.resyncMs = options.resyncMs ?? 60_000;
    this.log = options.logger.child({ component: "network-controller" });
    this.options = { reconcileTimeoutMs: 30_000, successLogLevel: "debug", ...options.controller };
    this.workloads = (options.kinds ?? WORKLOAD_KINDS).map((kind) => informerFor(options.informers, options.store, kind, { logger: this.log }));
  }

  sources(): Source[] {
    return [
      // Only a deleted workload can leave its namespace empty; status writes (the bulk of changes) ask nothing of Docker.
      ...this.workloads.map((informer) => mappingSource(
        informer,
        (obj, event) => (event.type === "DELETED" ? [namespaceKey(obj.metadata.namespace)] : []),
        `${informer.kind} deleted → namespace network`,
      )),
      this.scanSource(),
    ];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const namespace = key.slice("Namespace/".length);
    const inUse = this.workloads.some((informer) => informer.list().some((o) => o.metadata.namespace === namespace));
    const networks = (await listNamespaceNetworks(this.docker, namespace, ctx.signal)).filter((n) => this.mine(n.labels));
    let busy = false;
    for (const network of networks) {
      if (inUse && network.current) continue;
      if (await removeNamespaceNetwork(this.docker, namespace, ctx.signal, network.id)) {
        ctx.log.info(`removed network ${network.name}: ${network.current ? `namespace ${namespace} has no workload left` : "a network of an earlier release, no longer used"}`);
      } else {
        busy = true;
      }
    }
    return busy ? { requeueAfterMs: 15_000 } : {};
  }

  /** mine: the network was made by this berthd, or by a release that did not label networks with their maker. */
  private mine(labels: Record<string, string>): boolean {
    const maker = labels[LABELS.instance];
    return maker === undefined || maker === this.instance;
  }

  /** scanSource enqueues the namespace of every Berth namespace network, at start and every `resyncMs`. */
  private scanSource(): Source {
    let timer: NodeJS.Timeout | undefined;
    let running = false;
    const { docker, log, resyncMs } = this;
    return {
      name: "namespace network scan",
      start(enqueue) {
        running = true;
        const tick = async () => {
          try {
            const networks = await listNamespaceNetworks(docker, undefined, AbortSignal.timeout(15_000));
            for (const namespace of new Set(networks.map((n) => n.namespace))) enqueue(namespaceKey(namespace));
          } catch (err) {
            log.warn({ err }, "could not list namespace networks");
          }
          if (!running) return;
          timer = setTimeout(() => void tick(), resyncMs * (1 + Math.random() * 0.1));
          timer.unref();
        };
        void tick();
      },
      stop() {
        running = false;
        clearTimeout(timer);
        timer = undefined;
      },
    };
  }
}

/** createNetworkController returns the namespace network controller, for `Manager.add`. */
export function createNetworkController(options: NetworkControllerOptions): NetworkController {
  return new NetworkController(options);
}
