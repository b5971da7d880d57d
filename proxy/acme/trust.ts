import { Agent } from "node:https";
import acme from "acme-client";

const agents = new Map<string, Agent>();
let installed = false;

/**
 * trustDirectoryCa makes ACME requests to the directory's origin (scheme, host, port) trust `caPem` in addition
 * to nothing else: a private CA such as Pebble serves its directory with its own certificate. acme-client sends
 * every request through one exported axios instance (`acme.axios`, its documented extension point), so an
 * interceptor picks the HTTPS agent by origin; other directories keep Node's default trust store. The process
 * environment (NODE_EXTRA_CA_CERTS) is untouched.
 */
export function trustDirectoryCa(directoryUrl: string, caPem: string): void {
  agents.set(new URL(directoryUrl).origin, new Agent({ ca: caPem, keepAlive: true }));
  if (installed) return;
  installed = true;
  acme.axios.interceptors.request.use((config) => {
    const agent = config.url ? agents.get(originOf(config.url)) : undefined;
    if (agent) config.httpsAgent = agent;
    return config;
  });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}
