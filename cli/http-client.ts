import { Agent, request as httpsRequest, type RequestOptions } from "node:https";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { ConnectionError, ServerError, type ApiStatus } from "./errors.ts";
import type { CliConfig } from "./config.ts";

/** TABLE_ACCEPT asks the server for server-side printing, falling back to plain JSON, as kubectl does. */
export const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/** ApiRequest describes one API call. */
export interface ApiRequest {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** WatchEvent is one line of a watch stream. */
export interface WatchEvent<T = Record<string, unknown>> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** DEFAULT_TIMEOUT_MS bounds every non-streaming request. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * EarlyAgent is a keep-alive HTTPS agent whose first connection can be opened before the first request is
 * ready: the CLI starts the TLS handshake while it is still loading the verb's code, and the first request
 * then uses that connection. It is opened with the options the agent itself would use (the configured CA, the
 * server's name checked against its certificate), so it is verified exactly as any other.
 */
class EarlyAgent extends Agent {
  private early: Duplex | undefined;

  /** open starts the connection to `url` that the next request will use. */
  open(url: URL): void {
    if (this.early) return;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const early = super.createConnection({ ...this.options, host, port: Number(url.port || 443), servername: isIP(host) ? "" : host });
    if (!early) return;
    // An early connection that fails is not used: the request opens its own and reports that one's error.
    early.on("error", () => {});
    this.early = early;
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const early = this.early;
    this.early = undefined;
    if (early && !early.destroyed) return early;
    return super.createConnection(options, callback);
  }

  override destroy(): void {
    this.early?.destroy();
    this.early = undefined;
    super.destroy();
  }
}

/**
 * ApiClient talks to berthd over HTTPS with one keep-alive agent (so a verb's several requests share one TLS
 * handshake), the configured CA and a bearer token. Non-2xx answers become ServerError carrying the Status.
 */
export class ApiClient {
  private readonly base: URL;
  private readonly agent: EarlyAgent;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(config: Pick<CliConfig, "server" | "token" | "ca">, options: { timeoutMs?: number } = {}) {
    this.base = new URL(config.server);
    this.agent = new EarlyAgent({ keepAlive: true, ...(config.ca ? { ca: config.ca } : {}) });
    this.token = config.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** server is the base URL requests go to. */
  get server(): string {
    return this.base.origin;
  }

  /** request performs one call and returns the parsed JSON body. */
  async request<T = Record<string, unknown>>(req: ApiRequest): Promise<T> {
    const response = await this.send(req, this.timeoutMs);
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toServerError(status, text);
    if (text === "") return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ConnectionError(`the server answered ${req.path} with something that is not JSON`, { cause: error });
    }
  }

  /**
   * watch streams a `watch=true` request and calls onEvent per line until the server ends the stream or the
   * signal aborts. An ERROR event becomes a ServerError (410 Expired: the caller lists again).
   */
  async watch<T = Record<string, unknown>>(req: ApiRequest, onEvent: (event: WatchEvent<T>) => void): Promise<void> {
    try {
      const response = await this.send({ ...req, query: { ...req.query, watch: "true" } }, 0);
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) throw toServerError(status, await readBody(response));
      response.setEncoding("utf8");
      let buffered = "";
      for await (const chunk of response) {
        buffered += chunk as string;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === "") continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === "ERROR") {
            const errorStatus = event.object as ApiStatus;
            throw new ServerError(errorStatus.code ?? 500, errorStatus);
          }
          onEvent(event);
          if (req.signal?.aborted) return;
        }
      }
    } catch (error) {
      // Aborting is how callers stop a watch they are done with: not a failure.
      if (req.signal?.aborted) return;
      throw error;
    }
  }

  /** connectEarly opens the connection (and its TLS handshake) that the first request will use. */
  connectEarly(): void {
    if (this.base.protocol === "https:") this.agent.open(this.base);
  }

  /** close releases the keep-alive connections so the process can exit at once. */
  close(): void {
    this.agent.destroy();
  }

  private send(req: ApiRequest, timeoutMs: number): Promise<IncomingMessage> {
    const url = new URL(req.path, this.base);
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const body = req.body === undefined ? undefined : typeof req.body === "string" ? req.body : JSON.stringify(req.body);
    const headers: Record<string, string> = { accept: req.accept ?? "application/json", "user-agent": "berth-cli" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) {
      headers["content-type"] = req.contentType ?? "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const options: RequestOptions = { method: req.method ?? "GET", headers, ...(req.signal ? { signal: req.signal } : {}) };
    const isHttps = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => resolve(res);
      const request = isHttps ? httpsRequest(url, { ...options, agent: this.agent }, onResponse) : httpRequest(url, options, onResponse);
      if (timeoutMs > 0)
        request.setTimeout(timeoutMs, () => request.destroy(new ConnectionError(`the server at ${this.base.origin} did not answer within ${timeoutMs / 1000}s`)));
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (error instanceof ConnectionError || error.name === "AbortError") return reject(error);
        reject(new ConnectionError(`cannot reach the server at ${this.base.origin}: ${error.code ?? error.message}`, { cause: error }));
      });
      request.end(body);
    });
  }
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
  });
}

function toServerError(code: number, text: string): ServerError {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    if (parsed && typeof parsed === "object" && (parsed.kind === "Status" || parsed.message)) return new ServerError(code, parsed);
  } catch {
    // not a Status: report the raw text below
  }
  return new ServerError(code, { message: text.trim() || `the server answered ${code}` });
}
