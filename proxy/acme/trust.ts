import { Agent } from "node:https";

const agents = new Map<string, Agent>();

/**
 * trustDirectoryCa makes ACME requests to the directory's origin (scheme, host, port) trust `caPem` in addition
 * to nothing else: a private CA such as Pebble serves its directory with its own certificate. acme-client sends
 * every request through one exported axios instance (`acme.axios`, its documented extension point), so an
 * interceptor (installed by loadAcme) picks the HTTPS agent by origin; other directories keep Node's default
 * trust store. The process environment (NODE_EXTRA_CA_CERTS) is untouched.
 */
export function trustDirectoryCa(directoryUrl: string, caPem: string): void {
  agents.set(new URL(directoryUrl).origin, new Agent({ ca: caPem, keepAlive: true }));
}

/** agentFor returns the agent that trusts the private CA of a URL's origin, if one was registered. */
export function agentFor(url: string): Agent | undefined {
  try {
    return agents.get(new URL(url).origin);
  } catch {
    return undefined;
  }
}
