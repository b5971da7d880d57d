import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { parseSimpleConfig } from "../../../cli/config-file.ts";
import { loadConfig } from "../../../cli/config.ts";
import { ConfigError } from "../../../cli/errors.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\nAAAA\n-----END CERTIFICATE-----\n";

test("the fast config reader agrees with the yaml package on the shapes berthd writes", () => {
  const samples = [
    `server: https://127.0.0.1:7443\ntoken: berth_abc123\nca: /root/.berth/ca.pem\n`,
    `# written by berthd\nserver: "https://10.0.0.1:7443"\ntoken: 'berth_x''y'   # quoted\nca: |\n  ${PEM.trimEnd().split("\n").join("\n  ")}\nnamespace: prod\n`,
    `server: https://h:1\nca: |-\n  line1\n\n  line3\n`,
    `\n\nserver: https://a#b\n`,
  ];
  for (const text of samples) assert.deepEqual(parseSimpleConfig(text), parse(text), text);
});

test("the fast config reader declines what it does not fully understand", () => {
  for (const text of ["server: {a: 1}\n", "token: 12345\n", "server:\n  nested: x\n", "token: yes\n", 'token: "a\\nb"\n', "ca: >\n  folded\n", "a: 1\na: 2\n", "- list\n", "token: *alias\n"])
    assert.equal(parseSimpleConfig(text), undefined, text);
});

test("flags beat BERTH_* variables, which beat the config file; the CA may be a path or inline", async (t) => {
  const home = await mkdtemp(join(tmpdir(), "berth-home-"));
  t.after(() => rm(home, { recursive: true, force: true }));
  await mkdir(join(home, ".berth"));
  await writeFile(join(home, ".berth", "ca.pem"), PEM);
  await writeFile(join(home, ".berth", "config.yaml"), `server: https://file:7443/\ntoken: file-token\nca: ca.pem\nnamespace: team\n`);

  const fromFile = await loadConfig({}, {}, home);
  assert.deepEqual(fromFile, { server: "https://file:7443", token: "file-token", ca: PEM, namespace: "team", configPath: join(home, ".berth", "config.yaml") });

  const fromEnv = await loadConfig({}, { BERTH_SERVER: "https://env:1", BERTH_TOKEN: "env-token", BERTH_CA: PEM.replace("fake", "env") }, home);
  assert.equal(fromEnv.server, "https://env:1");
  assert.equal(fromEnv.token, "env-token");
  assert.ok(fromEnv.ca?.includes("MIIBenv"));

  const fromFlags = await loadConfig({ server: "https://flag:2", token: "flag-token" }, { BERTH_SERVER: "https://env:1", BERTH_TOKEN: "env-token" }, home);
  assert.equal(fromFlags.server, "https://flag:2");
  assert.equal(fromFlags.token, "flag-token");

  await writeFile(join(home, "other.yaml"), `server: https://other:3\ntoken: {nested: yes}\n`);
  const other = await loadConfig({}, { BERTH_CONFIG: join(home, "other.yaml") }, home);
  assert.equal(other.server, "https://other:3", "BERTH_CONFIG picks the file; the yaml fallback reads it");
  assert.equal(other.token, undefined);
});

test("missing server or unreadable CA are clear errors", async (t) => {
  const home = await mkdtemp(join(tmpdir(), "berth-home-"));
  t.after(() => rm(home, { recursive: true, force: true }));
  await assert.rejects(loadConfig({}, {}, home), (e: unknown) => e instanceof ConfigError && /no server configured/.test(e.message));
  await assert.rejects(loadConfig({}, { BERTH_SERVER: "https://x:1", BERTH_CA: join(home, "nope.pem") }, home), /cannot read the CA certificate .*nope\.pem: ENOENT/);
  await assert.rejects(loadConfig({}, { BERTH_SERVER: "ftp://x" }, home), /must be an https:\/\/ URL/);
});
