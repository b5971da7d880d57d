import type { Logger } from "pino";
import { CertMap, type CertificateSpec, type PemPair } from "./cert-map.ts";
import type { ProxyControl } from "./control.ts";
import type { DataPlaneName } from "./data-plane.ts";
import type { ProxyLimits } from "./limits.ts";
import { RouteTable, type RouteSpec } from "./route-table.ts";
import { ProxyServer, type ListenTarget } from "./server.ts";

/** InProcessProxyOptions start the proxy inside the calling process. */
export interface InProcessProxyOptions {
  http: ListenTarget;
  https: ListenTarget;
  fallback: PemPair;
  logger: Logger;
  limits?: Partial<ProxyLimits>;
  publicHttpsPort?: number;
  /** dataPlane forces a data plane (default: BERTH_PROXY_DATA_PLANE, else llhttp when it works; see data-plane.ts). */
  dataPlane?: DataPlaneName;
}

/**
 * InProcessProxy serves from the calling process (one core): updates are applied synchronously, so they are in
 * effect when the returned promise resolves. Tests and small hosts use it; ProxyThreads uses every core.
 */
export class InProcessProxy implements ProxyControl {
  readonly server: ProxyServer;
  private version = 0;
  private ports = { httpPort: 0, httpsPort: 0 };

  private constructor(server: ProxyServer) {
    this.server = server;
  }

  /** start binds both listeners; it throws ProxyStartError if one cannot bind. */
  static async start(options: InProcessProxyOptions): Promise<InProcessProxy> {
    const server = new ProxyServer({ logger: options.logger, fallback: options.fallback, ...(options.limits ? { limits: options.limits } : {}), ...(options.publicHttpsPort ? { publicHttpsPort: options.publicHttpsPort } : {}), ...(options.dataPlane ? { dataPlane: options.dataPlane } : {}) });
    const proxy = new InProcessProxy(server);
    try {
      proxy.ports = await server.listen(options.http, options.https);
    } catch (error) {
      await server.close();
      throw error;
    }
    return proxy;
  }

  get httpPort(): number {
    return this.ports.httpPort;
  }

  get httpsPort(): number {
    return this.ports.httpsPort;
  }

  async setRoutes(routes: readonly RouteSpec[]): Promise<void> {
    this.server.routes = RouteTable.from(routes, ++this.version);
  }

  async setCertificates(certs: readonly CertificateSpec[]): Promise<void> {
    this.server.certs = new CertMap(certs, this.server.certs.fallback);
  }

  async setChallenge(token: string, keyAuthorization: string): Promise<void> {
    this.server.challenges = this.server.challenges.with(token, keyAuthorization);
  }

  async deleteChallenge(token: string): Promise<void> {
    this.server.challenges = this.server.challenges.without(token);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

