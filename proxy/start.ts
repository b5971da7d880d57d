import type { ProxyControl } from "./control.ts";
import { ProxyThreads, type ProxyThreadsOptions } from "./threads.ts";

/** StartProxyOptions: `workers: 0` serves in-process; absent, one proxy thread per core. */
export type StartProxyOptions = ProxyThreadsOptions;

/** startProxy starts the proxy the daemon uses: worker threads on every core unless `workers` is 0. */
export async function startProxy(options: StartProxyOptions): Promise<ProxyControl> {
  if (options.workers === 0) {
    // Only an in-process proxy needs the forwarding code (the data plane, http-proxy) on the daemon's own thread.
    const { InProcessProxy } = await import("./in-process.ts");
    return InProcessProxy.start(options);
  }
  return ProxyThreads.start(options);
}
