import { Agent, request, type RequestOptions } from "node:https";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

/** HttpsResponse is a fully read response. */
export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** json parses the body (throws if it is not JSON). */
  json<T = any>(): T;
}

/** RequestInit is one request: a JSON body is serialised unless it is already a string. */
export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** token overrides the client's token; `null` sends no Authorization header. */
  token?: string | null;
  timeoutMs?: number;
}

/** WatchLines reads a streamed response line by line, each within a bounded wait. */
export interface WatchLines {
  status: number;
  headers: IncomingHttpHeaders;
  /** next resolves with the next parsed line, or undefined when the stream ended; it rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<any | undefined>;
  /** nextMatching skips lines until `predicate` holds. */
  nextMatching(predicate: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

/**
 * ApiClient is a small HTTPS client for tests that trusts a given CA (Node's fetch cannot take one), sends a
 * bearer token, and reads watch streams line by line. Every wait is bounded.
 */
export class ApiClient {
  readonly url: string;
  readonly ca: string;
  readonly token: string | undefined;
  readonly agent: Agent;

  constructor(url: string, ca: string, token?: string, options: { keepAlive?: boolean; maxSockets?: number } = {}) {
    this.url = url;
    this.ca = ca;
    this.token = token;
    this.agent = new Agent({ ca, keepAlive: options.keepAlive ?? false, maxSockets: options.maxSockets ?? Infinity });
  }

  /** withToken returns a client for another token on the same server. */
  withToken(token: string): ApiClient {
    return new ApiClient(this.url, this.ca, token);
  }

  private open(path: string, init: RequestInit, onResponse: (res: IncomingMessage) => void, onError: (error: Error) => void) {
    const token = init.token === undefined ? this.token : init.token;
    const body = init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    const headers: Record<string, string> = {
      // Node sends GET/DELETE bodies with neither chunking nor a length unless told the length.
      ...(body !== undefined ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...init.headers,
    };
    const options: RequestOptions = { method: init.method ?? "GET", headers, agent: this.agent };
    const req = request(new URL(path, this.url), options, onResponse);
    req.on("error", onError);
    req.end(body);
    return req;
  }

  /** request sends one request and reads the whole response. */
  request(path: string, init: RequestInit = {}): Promise<HttpsResponse> {
    const timeoutMs = init.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        req.destroy(new Error(`${init.method ?? "GET"} ${path}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      const req = this.open(path, init, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      }, (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get(path: string, init: Omit<RequestInit, "method"> = {}) {
    return this.request(path, { ...init, method: "GET" });
  }
  post(path: string, body: unknown, init: Omit<RequestInit, "method" | "body"> = {}) {
    return this.request(path, { ...init, method: "POST", body });
  }
  put(path: string, body: unknown, init: Omit<RequestInit, "method" | "body"> = {}) {
    return this.request(path, { ...init, method: "PUT", body });
  }
  patch(path: string, body: unknown, contentType: string, init: Omit<RequestInit, "method" | "body"> = {}) {
    return this.request(path, { ...init, method: "PATCH", body, headers: { "Content-Type": contentType, ...init.headers } });
  }
  delete(path: string, init: Omit<RequestInit, "method"> = {}) {
    return this.request(path, { ...init, method: "DELETE" });
  }

  /** watch opens a streaming GET and resolves once the response headers arrived. */
  watch(path: string, init: Omit<RequestInit, "method"> = {}): Promise<WatchLines> {
    const timeoutMs = init.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => req.destroy(new Error(`watch ${path}: no headers within ${timeoutMs} ms`)), timeoutMs);
      const req = this.open(path, { ...init, method: "GET" }, (res) => {
        clearTimeout(timer);
        resolve(lineReader(res, () => req.destroy()));
      }, (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function lineReader(res: IncomingMessage, destroy: () => void): WatchLines {
  const lines: string[] = [];
  let buffer = "";
  let ended = false;
  let wake: (() => void) | undefined;
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
    wake?.();
  });
  const finish = () => {
    ended = true;
    wake?.();
  };
  res.on("end", finish);
  res.on("close", finish);
  res.on("error", finish);
  const next = async (timeoutMs = 5_000): Promise<any | undefined> => {
    const deadline = Date.now() + timeoutMs;
    while (lines.length === 0 && !ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    const line = lines.shift();
    return line === undefined ? undefined : JSON.parse(line);
  };
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    next,
    async nextMatching(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = await next(Math.max(1, deadline - Date.now()));
        if (line === undefined) throw new Error("the watch ended before a matching event");
        if (predicate(line)) return line;
      }
    },
    close: destroy,
  };
}
