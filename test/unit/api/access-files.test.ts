import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accessFilesIn, readCliToken, writeAccessFiles } from "../../../api/access-files.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\ntoken: not-this-one\n-----END CERTIFICATE-----\n";

test("readCliToken reads back the token of a CLI config, as berthd wrote it or as a user edited it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-access-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = accessFilesIn(dir);
  assert.equal(await readCliToken(files), undefined, "no file yet");

  const token = "berth_2seMVHgt04sJgjS5jt1CRyu0NEXEmEqsviJ46bGAeis";
  await writeAccessFiles(files, { server: "https://127.0.0.1:7443", token, ca: CA });
  assert.equal(await readCliToken(files), token, "as written by berthd (a `token:` inside the CA block is not it)");

  const edited: Array<[string, string | undefined]> = [
    [`server: https://127.0.0.1:7443\ntoken: "${token}"\n`, token],
    [`token: ${token} # mine\n`, token],
    [`{ server: "https://127.0.0.1:7443", token: ${token} }\n`, token],
    [`token:\n  ${token}\n`, token],
    [`nested:\n  token: ${token}\n`, undefined],
    [`token: 12345\n`, undefined],
  ];
  for (const [text, expected] of edited) {
    await writeFile(files.cliConfig, text);
    assert.equal(await readCliToken(files), expected, text);
  }
});
