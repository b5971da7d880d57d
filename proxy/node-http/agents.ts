import { Agent } from "node:http";
import type { Route, Upstream } from "../route-table.ts";

/** AgentOptions bound the connections of every upstream's agent. */
export interface AgentOptions {
  /** maxSockets bounds the open connections to one upstream; requests beyond it wait for a free one. */
  maxSockets: number;
  /** idleMs closes a kept-alive connection unused this long, before the upstream's own keep-alive timeout can race a request on it. */
  idleMs: number;
}

/**
 * UpstreamAgents keeps one keep-alive `http.Agent` per upstream address, shared by every route pointing at it:
 * the node-http data plane's counterpart of the llhttp plane's connection pools. Idle connections are reused
 * newest first (`lifo`, the least likely to have been closed by the upstream).
 */
export class UpstreamAgents {
  private readonly agents = new Map<string, Agent>();
  private readonly options: AgentOptions;

  constructor(options: AgentOptions) {
    this.options = options;
  }

  /** for returns the agent of one upstream, making it on first use. */
  for(upstream: Upstream): Agent {
    const key = `${upstream.host}:${upstream.port}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: this.options.maxSockets, timeout: this.options.idleMs, scheduling: "lifo" });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /**
   * retain forgets the agents of upstreams no route lists any more: their idle connections close now, the ones
   * in flight finish their response and then time out idle.
   */
  retain(routes: readonly Route[]): void {
    if (this.agents.size === 0) return;
    const wanted = new Set<string>();
    for (const route of routes) for (const upstream of route.upstreams) wanted.add(`${upstream.host}:${upstream.port}`);
    for (const [key, agent] of this.agents) {
      if (wanted.has(key)) continue;
      this.agents.delete(key);
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    }
  }

  /** destroy closes every connection at once, cutting requests still in flight. */
  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
