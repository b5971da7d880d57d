import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { eventually, httpGet, isReady } from "../app/harness.ts";
import { SSHD, startGitSshServer } from "../../support/git-server.ts";
import { WEB_PORT } from "../../support/images.ts";
import { LIMIT, phaseOf, reasonOf, startBuildHarness, webDockerfile } from "./harness.ts";

type Endpoint = { host: string; port: number };

/** gitKeyDirs lists the private directories git's ssh key files are written to while a build fetches. */
async function gitKeyDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((d) => d.startsWith("berth-git-"));
}

test("builds over ssh: a deploy key and known_hosts from the Secret (strict host checking), key files removed after; a wrong host key fails the fetch", LIMIT, async (t) => {
  if (!existsSync(SSHD)) {
    if (process.env.CI === "true") throw new Error(`${SSHD} is missing: scripts/install.sh installs openssh-server`);
    return t.skip(`SKIPPED: ${SSHD} is missing (scripts/install.sh installs openssh-server)`);
  }
  const h = await startBuildHarness(t);
  if (!h) return;
  const sshd = await startGitSshServer(h.repo.root);
  t.after(() => sshd.stop());
  const before = new Set(await gitKeyDirs());
  await h.repo.commit({ Dockerfile: webDockerfile("over-ssh") });
  await h.apply("Secret", "deploy-key", { stringData: { "ssh-privatekey": sshd.privateKey, known_hosts: sshd.knownHosts } });
  await h.apply("App", "web", { spec: { build: { git: { url: sshd.url(h.repo.name), ref: "main", secretRef: { name: "deploy-key" } } }, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 } } });
  await eventually(async () => {
    const a = await h.get("App", "web");
    assert.ok(isReady(a), JSON.stringify(a?.status?.conditions));
    const e = (a!.status!.endpoints as Endpoint[])[0]!;
    assert.equal((await httpGet(e.host, e.port)).body, "over-ssh");
  }, 90_000, 200);
  assert.deepEqual((await gitKeyDirs()).filter((d) => !before.has(d)), [], "no key files left behind");

  // A host key that is not the server's: strict checking refuses the connection.
  await h.apply("Secret", "wrong-host", { stringData: { "ssh-privatekey": sshd.privateKey, known_hosts: sshd.knownHosts.replace(/ssh-ed25519 \S+/, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEuW0oCs3DgNOy1wUTbqVtVVs2Rg0nC4F2J4bH4xrRvN") } });
  await h.repo.commit({ Dockerfile: webDockerfile("never") });
  await h.apply("App", "web", { spec: { build: { git: { url: sshd.url(h.repo.name), ref: "main", secretRef: { name: "wrong-host" } }, args: { X: "1" } }, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 } } });
  await eventually(async () => {
    const events = await h.events.list({});
    assert.ok(events.some((e) => e.reason === "GitResolveFailed" && /Host key verification failed|host key/i.test(e.message)), events.map((e) => `${e.reason}: ${e.message}`).join("\n"));
  }, 30_000, 200);
  const app = await h.get("App", "web");
  assert.equal(reasonOf(app), "Available", "the version built before keeps serving");
  assert.ok((await h.builds("web")).every((b) => phaseOf(b) === "Succeeded"));
});
