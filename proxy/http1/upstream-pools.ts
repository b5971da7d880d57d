import type { Route, Upstream } from "../route-table.ts";
import { UpstreamConnection, type ConnectionOwner, type UpstreamTimeouts, type UpstreamUser } from "./upstream-connection.ts";

/** UpstreamPoolOptions bound the connections and waits of every upstream's pool. */
export interface UpstreamPoolOptions extends UpstreamTimeouts {
  /** connections bounds the open connections to one upstream; requests beyond it queue for a free one. */
  connections: number;
  /** idleMs: a kept-alive connection unused this long is closed (by `sweep`), before the upstream's own keep-alive timeout can race a request on it. */
  idleMs: number;
  maxHeaderSize: number;
}

/**
 * UpstreamPool keeps the keep-alive connections to one upstream address: idle ones are reused newest first
 * (the warmest, and the least likely to have been closed by the upstream), at most `connections` are open, and
 * requests beyond that wait in order for one to be released.
 */
export class UpstreamPool implements ConnectionOwner {
  private readonly host: string;
  private readonly port: number;
  private readonly options: UpstreamPoolOptions;
  private readonly idle: UpstreamConnection[] = [];
  private readonly waiting: UpstreamUser[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private closing = false;

  constructor(upstream: Upstream, options: UpstreamPoolOptions) {
    this.host = upstream.host.startsWith("[") ? upstream.host.slice(1, -1) : upstream.host;
    this.port = upstream.port;
    this.options = options;
  }

  /** acquire hands `user` a connection: an idle one at once, a new one once connected, or the next one released. */
  acquire(user: UpstreamUser): void {
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (connection.usable) return connection.serve(user);
    }
    if (this.all.size < this.options.connections) return this.open(user);
    this.waiting.push(user);
  }

  /** cancel withdraws a user still waiting for a connection. */
  cancel(user: UpstreamUser): void {
    const index = this.waiting.indexOf(user);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /** release takes a connection back after a response; one that cannot carry another request is closed. */
  release(connection: UpstreamConnection, reusable: boolean): void {
    if (!reusable || this.closing || !connection.usable) return connection.discard();
    const next = this.waiting.shift();
    if (next) return connection.serve(next);
    connection.rest(Date.now());
    this.idle.push(connection);
  }

  /** sweep closes the connections idle since before `now - idleMs`: the oldest, at the bottom of the stack. */
  sweep(now: number): void {
    const expired = now - this.options.idleMs;
    let count = 0;
    while (count < this.idle.length && this.idle[count]!.idleSince <= expired) count++;
    for (const connection of this.idle.splice(0, count)) connection.discard();
  }

  connected(connection: UpstreamConnection): void {
    // Its request was withdrawn while it connected: it serves the next one, or waits idle.
    if (!connection.user) this.release(connection, true);
    else connection.user.onUpstream(connection);
  }

  gone(connection: UpstreamConnection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    // A slot is free: the next waiting request gets a new connection.
    const next = this.closing ? undefined : this.waiting.shift();
    if (next) this.open(next);
  }

  /** close stops reuse: idle connections close now, busy ones once their response is done. */
  close(): void {
    this.closing = true;
    for (const connection of this.idle.splice(0)) connection.discard();
  }

  /** destroy cuts every connection, busy ones included; requests still waiting fail. */
  destroy(): void {
    this.close();
    for (const user of this.waiting.splice(0)) user.onUpstreamError("ECONNRESET");
    for (const connection of this.all) connection.socket.destroy();
  }

  private open(user: UpstreamUser): void {
    const connection = new UpstreamConnection(this, this.host, this.port, this.options, this.options.maxHeaderSize);
    this.all.add(connection);
    connection.user = user;
  }
}

/**
 * UpstreamPools keeps one pool per upstream address, shared by every route that points at it. Pools are made on
 * first use and closed once no route lists their upstream any more: a replica that left the route table gets
 * no new requests, and the ones in flight finish.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly options: UpstreamPoolOptions;

  constructor(options: UpstreamPoolOptions) {
    this.options = options;
  }

  /** for returns the pool of one upstream, making it on first use. */
  for(upstream: Upstream): UpstreamPool {
    const key = keyOf(upstream);
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new UpstreamPool(upstream, this.options)));
    return pool;
  }

  /** sweep closes every pool's connections idle for longer than `idleMs` (called every few hundred ms to a second). */
  sweep(now: number): void {
    for (const pool of this.pools.values()) pool.sweep(now);
  }

  /** retain closes the pools of upstreams that no route lists any more. */
  retain(routes: readonly Route[]): void {
    if (this.pools.size === 0) return;
    const wanted = new Set<string>();
    for (const route of routes) for (const upstream of route.upstreams) wanted.add(keyOf(upstream));
    for (const [key, pool] of this.pools) {
      if (wanted.has(key)) continue;
      this.pools.delete(key);
      pool.close();
    }
  }

  /** size is how many pools are open (one per upstream in use). */
  get size(): number {
    return this.pools.size;
  }

  /** destroy closes every pool at once, cutting requests still in flight. */
  destroy(): void {
    for (const pool of this.pools.values()) pool.destroy();
    this.pools.clear();
  }
}

/** keyOf is an upstream's `host:port` (an IPv6 host in brackets). */
function keyOf(upstream: Upstream): string {
  return upstream.host.includes(":") && !upstream.host.startsWith("[") ? `[${upstream.host}]:${upstream.port}` : `${upstream.host}:${upstream.port}`;
}
