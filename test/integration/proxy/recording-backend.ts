import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** RecordedRequest is one complete request as the recording backend read it off the wire. */
export interface RecordedRequest {
  method: string;
  url: string;
  version: string;
  /** headers are `[name, value]` pairs in the order received. */
  headers: Array<[string, string]>;
  /** body is the body decoded from its framing (Content-Length or chunked), as latin1. */
  body: string;
  /** framing says how it was framed on the wire. */
  framing: "none" | "length" | "chunked";
}

/** RecordedConnection is one connection the proxy opened to the backend. */
export interface RecordedConnection {
  /** raw is every byte received, as latin1. */
  raw: string;
  /** rest is what follows the last complete request: a partial request, or garbage. */
  rest: string;
  closed: boolean;
}

/**
 * RecordingBackend is an upstream that records the raw bytes it receives on every connection and answers
 * each complete request with `200 ok` (Content-Length framed, keep-alive). It parses strictly, as the proxy
 * writes requests: anything it cannot frame stays in the connection's `rest`.
 */
export interface RecordingBackend {
  port: number;
  requests: RecordedRequest[];
  connections: RecordedConnection[];
  /** reset forgets what was recorded so far (connections still open keep being recorded). */
  reset(): void;
  close(): Promise<void>;
}

/** startRecordingBackend starts a recording backend on a free loopback port. */
export async function startRecordingBackend(): Promise<RecordingBackend> {
  const sockets = new Set<Socket>();
  const backend: RecordingBackend = {
    port: 0,
    requests: [],
    connections: [],
    reset() {
      backend.requests = [];
      backend.connections = backend.connections.filter((c) => !c.closed);
      for (const c of backend.connections) c.raw = c.rest;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const connection: RecordedConnection = { raw: "", rest: "", closed: false };
    backend.connections.push(connection);
    socket.on("data", (data: Buffer) => {
      const text = data.toString("latin1");
      connection.raw += text;
      connection.rest += text;
      for (;;) {
        const parsed = parseRequest(connection.rest);
        if (!parsed) break;
        connection.rest = connection.rest.slice(parsed.length);
        backend.requests.push(parsed.request);
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok");
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      connection.closed = true;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  backend.port = (server.address() as AddressInfo).port;
  return backend;
}

/** parseRequest reads one complete request from the start of `text`, or undefined if none is complete. */
export function parseRequest(text: string): { request: RecordedRequest; length: number } | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [line = "", ...fields] = text.slice(0, end).split("\r\n");
  const [method = "", url = "", version = ""] = line.split(" ");
  const headers = fields.map((f): [string, string] => [f.slice(0, f.indexOf(":")), f.slice(f.indexOf(":") + 1).trim()]);
  const value = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
  let at = end + 4;
  let body = "";
  let framing: RecordedRequest["framing"] = "none";
  if (value("transfer-encoding") !== undefined) {
    framing = "chunked";
    for (;;) {
      const lineEnd = text.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(text.slice(at, lineEnd), 16);
      if (Number.isNaN(size)) return undefined;
      at = lineEnd + 2;
      if (size === 0) {
        if (text.length < at + 2) return undefined;
        at += 2;
        break;
      }
      if (text.length < at + size + 2) return undefined;
      body += text.slice(at, at + size);
      at += size + 2;
    }
  } else if (value("content-length") !== undefined) {
    framing = "length";
    const length = Number(value("content-length"));
    if (text.length < at + length) return undefined;
    body = text.slice(at, at + length);
    at += length;
  }
  return { request: { method, url, version, headers, body, framing }, length: at };
}
