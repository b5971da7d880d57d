import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { generate } from "selfsigned";
import { startCliApi, type CliApi } from "../../support/run-cli.ts";

// The CLI opens its TLS connection while it loads a verb's code (cli/http-client.ts, EarlyAgent): that
// connection must be checked like any other, and `version --client` must open none.
let api: CliApi;
before(async () => {
  api = await startCliApi();
});
after(() => api.close());

test("the early connection trusts only the configured CA: another CA's server is refused, nothing is listed", async () => {
  const other = await generate([{ name: "commonName", value: "another-ca" }], { keyType: "ec", algorithm: "sha256" });
  const otherCa = join(api.work, "other-ca.pem");
  await writeFile(otherCa, other.cert);
  const refused = await api.run(["get", "apps"], { env: { BERTH_CA: otherCa } });
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, "");
  assert.match(refused.stderr, /^error: cannot reach the server at https:\/\/127\.0\.0\.1:\d+: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\n$/);
  const trusted = await api.run(["get", "apps"]);
  assert.equal(trusted.code, 0, trusted.stderr);
});

test("a server that cannot be reached is reported once, as before", async () => {
  const listener = await listen();
  const port = (listener.address() as { port: number }).port;
  await new Promise<void>((ok) => listener.close(() => ok()));
  const result = await api.run(["get", "apps"], { env: { BERTH_SERVER: `https://127.0.0.1:${port}` } });
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `error: cannot reach the server at https://127.0.0.1:${port}: ECONNREFUSED\n`);
});

test("version --client opens no connection", async () => {
  let connections = 0;
  const listener = await listen((socket) => {
    connections++;
    socket.destroy();
  });
  try {
    const port = (listener.address() as { port: number }).port;
    const result = await api.run(["version", "--client"], { env: { BERTH_SERVER: `https://127.0.0.1:${port}` } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(connections, 0);
  } finally {
    await new Promise<void>((ok) => listener.close(() => ok()));
  }
});

function listen(onConnection: (socket: import("node:net").Socket) => void = (s) => s.destroy()): Promise<Server> {
  return new Promise((ok) => {
    const server = createServer(onConnection);
    server.listen(0, "127.0.0.1", () => ok(server));
  });
}
