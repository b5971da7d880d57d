import { Pool } from "undici";
import type { Route, Upstream } from "./route-table.ts";

/** UpstreamPoolOptions bound the connections and waits of every upstream's pool. */
export interface UpstreamPoolOptions {
  /** connections bounds the open connections to one upstream; requests beyond it queue for a free one. */
  connections: number;
  /** timeoutMs is how long an upstream may stay silent (before its response head, or within its body). */
  timeoutMs: number;
  /** connectTimeoutMs bounds a TCP connect to an upstream. */
  connectTimeoutMs: number;
}

/**
 * UpstreamPools keeps one keep-alive connection pool (undici's Pool) per upstream address, shared by every
 * route that points at it. Pools are made on first use and closed once no route lists their upstream any
 * more: a replica that left the route table gets no new requests, and closing lets the ones in flight finish.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private readonly options: UpstreamPoolOptions;

  constructor(options: UpstreamPoolOptions) {
    this.options = options;
  }

  /** for returns the pool of one upstream, making it on first use. */
  for(upstream: Upstream): Pool {
    const key = keyOf(upstream);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(`http://${key}`, {
        connections: this.options.connections,
        pipelining: 1,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        connect: { timeout: this.options.connectTimeoutMs },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** retain closes the pools of upstreams that no route lists any more (gracefully: queued requests finish). */
  retain(routes: readonly Route[]): void {
    if (this.pools.size === 0) return;
    const wanted = new Set<string>();
    for (const route of routes) for (const upstream of route.upstreams) wanted.add(keyOf(upstream));
    for (const [key, pool] of this.pools) {
      if (wanted.has(key)) continue;
      this.pools.delete(key);
      pool.close().catch(() => {});
    }
  }

  /** size is how many pools are open (one per upstream in use). */
  get size(): number {
    return this.pools.size;
  }

  /** destroy closes every pool at once, cutting requests still in flight. */
  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
}

/** keyOf is an upstream's `host:port` (an IPv6 host in brackets), the key and origin of its pool. */
function keyOf(upstream: Upstream): string {
  return upstream.host.includes(":") && !upstream.host.startsWith("[") ? `[${upstream.host}]:${upstream.port}` : `${upstream.host}:${upstream.port}`;
}
