import type { ProxyLog } from "./log.ts";
import { ProxyStartError } from "./errors.ts";
import { llhttpProblem } from "./http1/llhttp.ts";

/**
 * DataPlaneName names how the proxy reads and writes HTTP/1.1: `llhttp` parses the sockets with Node's own
 * parser through its internal binding (proxy/http1/, the fast one, with HTTP/2 in proxy/http2/); `node-http`
 * uses only public `node:http` APIs (proxy/node-http/, HTTP/1.1 only), for a Node release whose internals changed.
 */
export type DataPlaneName = "llhttp" | "node-http";

/** DATA_PLANE_ENV forces the data plane: `llhttp` or `node-http` (unset: llhttp when the binding behaves). */
export const DATA_PLANE_ENV = "BERTH_PROXY_DATA_PLANE";

let warned = false;

/**
 * chooseDataPlane picks the data plane: the one asked for (an option, else DATA_PLANE_ENV), or llhttp when
 * its binding is present and behaves, else node-http with one warning per process saying why. Forcing llhttp
 * where it cannot work, or naming an unknown plane, fails the start with the reason.
 */
export function chooseDataPlane(requested: DataPlaneName | undefined, log: ProxyLog): DataPlaneName {
  const fromEnv = process.env[DATA_PLANE_ENV];
  const wanted = requested ?? (fromEnv ? fromEnv : undefined);
  if (wanted !== undefined && wanted !== "llhttp" && wanted !== "node-http") {
    throw new ProxyStartError(`${DATA_PLANE_ENV}=${JSON.stringify(wanted)}: the proxy data plane must be "llhttp" or "node-http"`);
  }
  if (wanted === "node-http") return "node-http";
  const problem = llhttpProblem();
  if (!problem) return "llhttp";
  if (wanted === "llhttp") throw new ProxyStartError(`the llhttp data plane was asked for but cannot run on Node ${process.version}: ${problem}`);
  if (!warned) {
    warned = true;
    log.warn(
      { node: process.version, reason: problem },
      `Node's internal HTTP parser binding (_http_common) is missing or changed: the proxy serves with its node:http data plane instead (HTTP/1.1 only, slower; set ${DATA_PLANE_ENV}=node-http to choose it and silence this)`,
    );
  }
  return "node-http";
}
