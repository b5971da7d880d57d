import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { WatchLine } from "../../../api/watch-stream.ts";
import { app, nsPath, withApi } from "./fixtures.ts";

/** rawWatch sends one watch request over its own TLS connection and collects the raw bytes of the response. */
function rawWatch(url: string, ca: string, token: string, path: string, version: "1.0" | "1.1") {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), ca, servername: "localhost" });
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.write(`GET ${path} HTTP/${version}\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  return {
    text: () => received,
    async until(predicate: (text: string) => boolean, timeoutMs = 5_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out; received so far:\n${received}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: async () => {
      socket.destroy();
      await closed;
    },
  };
}

test("a WatchLine is framed as one HTTP/1.1 chunk: size in hex, CRLF, the bytes, CRLF", () => {
  const line = new WatchLine('{"type":"ADDED","object":{"name":"é"}}\n');
  assert.equal(line.bytes.length, 40, "the size counts UTF-8 bytes, not characters");
  assert.equal(line.chunk().toString("utf8"), `28\r\n{"type":"ADDED","object":{"name":"é"}}\n\r\n`);
  assert.equal(line.chunk(), line.chunk(), "the framed bytes are made once and shared");
});

test("over HTTP/1.1 each watch event is one chunk holding one JSON line; the stream ends with the last chunk", async (t) => {
  const { api, client } = await withApi(t);
  const watch = rawWatch(api.url, api.ca, api.adminToken, `${nsPath("apps")}?watch=true&timeoutSeconds=1`, "1.1");
  t.after(() => watch.close());
  await watch.until((text) => text.includes("\r\n\r\n"));
  await client.post(nsPath("apps"), app("a"));
  await client.post(nsPath("apps"), app("b"));
  const text = await watch.until((body) => body.endsWith("0\r\n\r\n"));
  const [head, body] = [text.slice(0, text.indexOf("\r\n\r\n")), text.slice(text.indexOf("\r\n\r\n") + 4)];
  assert.match(head, /^HTTP\/1\.1 200/);
  assert.match(head, /transfer-encoding: chunked/i);
  const events: Array<[string, string]> = [];
  let rest = Buffer.from(body, "latin1");
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.subarray(0, eol).toString("latin1"), 16);
    if (size === 0) break;
    const data = rest.subarray(eol + 2, eol + 2 + size).toString("utf8");
    assert.equal(rest.subarray(eol + 2 + size, eol + 4 + size).toString("latin1"), "\r\n");
    assert.ok(data.endsWith("\n") && data.indexOf("\n") === data.length - 1, "one line per chunk");
    const event = JSON.parse(data) as { type: string; object: { metadata: { name: string } } };
    events.push([event.type, event.object.metadata.name]);
    rest = rest.subarray(eol + 4 + size);
  }
  assert.deepEqual(events, [["ADDED", "a"], ["ADDED", "b"]]);
});

test("over HTTP/1.0 a watch streams plain JSON lines and ends by closing the connection", async (t) => {
  const { api, client } = await withApi(t);
  const watch = rawWatch(api.url, api.ca, api.adminToken, `${nsPath("apps")}?watch=true&timeoutSeconds=1`, "1.0");
  t.after(() => watch.close());
  await watch.until((text) => text.includes("\r\n\r\n"));
  await client.post(nsPath("apps"), app("a"));
  await watch.until((text) => text.includes('"name":"a"'));
  await watch.close();
  const text = watch.text();
  const head = text.slice(0, text.indexOf("\r\n\r\n"));
  assert.doesNotMatch(head, /transfer-encoding/i);
  const lines = text.slice(text.indexOf("\r\n\r\n") + 4).split("\n").filter(Boolean);
  assert.deepEqual(lines.map((l) => [JSON.parse(l).type, JSON.parse(l).object.metadata.name]), [["ADDED", "a"]]);
});
