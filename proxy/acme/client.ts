import { agentFor } from "./trust.ts";

type AcmeModule = typeof import("acme-client");

let loading: Promise<AcmeModule> | undefined;

/**
 * loadAcme imports acme-client on first use: it (with axios) is some 25 MB of resident memory that a daemon
 * without ACME Domains never needs. On load, one request interceptor gives requests to a directory with a
 * private CA (trustDirectoryCa) an agent that trusts it.
 */
export function loadAcme(): Promise<AcmeModule> {
  loading ??= import("acme-client").then((module) => {
    // acme-client is CommonJS: its exports arrive as the default export of the ES module.
    const acme = (module as unknown as { default: AcmeModule }).default;
    acme.axios.interceptors.request.use((config) => {
      const agent = config.url ? agentFor(config.url) : undefined;
      if (agent) config.httpsAgent = agent;
      return config;
    });
    return acme;
  });
  return loading;
}
