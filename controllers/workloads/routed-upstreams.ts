import type { RouteSpec } from "../../proxy/index.ts";

/**
 * RoutedUpstreams is the set of replica addresses the proxy may still send requests to: the Domain controller
 * replaces it once every proxy thread has applied a new route table (so an address leaves the set only when no
 * thread can pick it any more), and the App controller reads it so that it never stops a replica the proxy still
 * routes to. Without it, a replica taken out of an App's endpoints with `drainSeconds: 0` could be stopped in the
 * few milliseconds before its Domain's routes were republished, and the requests sent to it meanwhile would hang.
 */
export class RoutedUpstreams {
  private hosts = new Set<string>();

  /** replace records the route table the proxy now uses everywhere. */
  replace(routes: readonly RouteSpec[]): void {
    this.hosts = new Set(routes.flatMap((r) => r.upstreams.map((u) => u.host)));
  }

  /** routes tells whether any route still sends requests to one of a replica's addresses. */
  routes(addresses: Iterable<string>): boolean {
    for (const address of addresses) if (this.hosts.has(address)) return true;
    return false;
  }
}
