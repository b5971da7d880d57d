import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { DATA_PLANE_ENV, ProxyStartError } from "../../../proxy/index.ts";
import { LIMIT, startTestProxy } from "./support.ts";

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

/** startWithBrokenBinding runs fixtures/fallback-proxy with `_http_common` made `missing` or `changed`. */
async function startWithBrokenBinding(how: "missing" | "changed"): Promise<{ result: { plane: string; status: number }; warnings: Array<Record<string, unknown>> }> {
  const { stdout } = await run(process.execPath, ["--import", pathToFileURL(fixture("break-http-common")).href, fixture("fallback-proxy")], {
    env: { ...process.env, BERTH_TEST_HTTP_COMMON: how, [DATA_PLANE_ENV]: "" },
    timeout: 20_000,
  });
  const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result: lines.at(-1) as { plane: string; status: number }, warnings: lines.filter((l) => l.level === 40) };
}

test("the proxy serves with llhttp by default here, and BERTH_PROXY_DATA_PLANE forces node-http (or fails the start when unknown)", LIMIT, async (t) => {
  const saved = process.env[DATA_PLANE_ENV];
  t.after(() => (saved === undefined ? delete process.env[DATA_PLANE_ENV] : (process.env[DATA_PLANE_ENV] = saved)));
  delete process.env[DATA_PLANE_ENV];
  const byDefault = await startTestProxy();
  await byDefault.close();
  assert.equal(byDefault.server.dataPlane, "llhttp");
  process.env[DATA_PLANE_ENV] = "node-http";
  const forced = await startTestProxy();
  await forced.close();
  assert.equal(forced.server.dataPlane, "node-http");
  process.env[DATA_PLANE_ENV] = "fast";
  await assert.rejects(startTestProxy(), (error: Error) => error instanceof ProxyStartError && /BERTH_PROXY_DATA_PLANE="fast".*"llhttp" or "node-http"/.test(error.message));
});

for (const how of ["missing", "changed"] as const) {
  test(`with Node's internal parser binding ${how}, the proxy falls back to node:http, says why once, and serves`, LIMIT, async () => {
    const { result, warnings } = await startWithBrokenBinding(how);
    assert.deepEqual(result, { plane: "node-http", status: 200 });
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(String(warnings[0]!.msg), /_http_common.*node:http data plane/);
    assert.match(String(warnings[0]!.reason), how === "missing" ? /Cannot find module '_http_common'/ : /no consume\(\)/);
  });
}
