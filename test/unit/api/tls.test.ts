import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureServingCertificate } from "../../../api/tls.ts";

test("ensureServingCertificate creates a CA and a serving certificate once, then reuses them", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-tls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await ensureServingCertificate(join(dir, "tls"));
  const cert = new X509Certificate(first.cert);
  assert.ok(cert.checkIssued(new X509Certificate(first.ca)));
  assert.ok(cert.verify(new X509Certificate(first.ca).publicKey));
  assert.match(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
  assert.match(cert.subjectAltName ?? "", /DNS:localhost/);
  assert.equal(new X509Certificate(first.ca).ca, true);
  for (const file of ["tls.key", "ca.key"]) assert.equal((await stat(join(dir, "tls", file))).mode & 0o777, 0o600, file);
  assert.equal(await readFile(join(dir, "tls", "tls.crt"), "utf8"), first.cert);
  assert.equal(await readFile(join(dir, "tls", "ca.crt"), "utf8"), first.ca);
  const again = await ensureServingCertificate(join(dir, "tls"));
  assert.deepEqual(again, first, "later starts reuse the files");
  const withHost = await ensureServingCertificate(join(dir, "tls"), ["berth.example.com", "10.0.0.5"]);
  assert.equal(withHost.ca, first.ca, "a new host re-issues the serving certificate from the same CA");
  assert.notEqual(withHost.cert, first.cert);
  const san = new X509Certificate(withHost.cert).subjectAltName ?? "";
  for (const name of ["DNS:berth.example.com", "IP Address:10.0.0.5", "IP Address:127.0.0.1", "DNS:localhost"]) assert.ok(san.includes(name), san);
});
