import { ProxyCluster, type ProxyClusterOptions } from "./cluster.ts";
import type { ProxyControl } from "./control.ts";

/** StartProxyOptions: `workers: 0` serves in-process; absent, one worker process per core. */
export type StartProxyOptions = ProxyClusterOptions;

/** startProxy starts the proxy the daemon uses: worker processes on every core unless `workers` is 0. */
export async function startProxy(options: StartProxyOptions): Promise<ProxyControl> {
  if (options.workers === 0) {
    // Only an in-process proxy needs the forwarding code (the data plane, http-proxy) in the daemon itself.
    const { InProcessProxy } = await import("./in-process.ts");
    return InProcessProxy.start(options);
  }
  return ProxyCluster.start(options);
}
