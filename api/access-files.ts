import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** AccessFiles are where a user's credentials for this daemon are written on first start. */
export interface AccessFiles {
  /** cliConfig is `~/.berth/config.yaml`: top-level `server`, `token`, `ca`. */
  cliConfig: string;
  /** kubeconfig is `~/.berth/kubeconfig` for the real kubectl. */
  kubeconfig: string;
}

/** accessFilesIn names the two files inside a client config directory. */
export function accessFilesIn(dir: string): AccessFiles {
  return { cliConfig: join(dir, "config.yaml"), kubeconfig: join(dir, "kubeconfig") };
}

/** readCliToken returns the token in an existing CLI config, if any (to check it still authenticates). */
export async function readCliToken(files: AccessFiles): Promise<string | undefined> {
  if (!existsSync(files.cliConfig)) return undefined;
  const text = await readFile(files.cliConfig, "utf8");
  // The file as writeAccessFiles wrote it is read without the YAML parser, whose load would hold up the API's
  // first answers at every start; anything else (quoted, commented, flow style) goes through the parser.
  const plain = PLAIN_TOKEN_LINE.exec(text);
  if (plain) return plain[1];
  const { parse } = await import("yaml");
  const parsed = parse(text) as { token?: unknown } | null;
  return typeof parsed?.token === "string" ? parsed.token : undefined;
}

/**
 * PLAIN_TOKEN_LINE matches a top-level `token:` key whose value is a plain scalar of token characters (letters,
 * digits, `_`, `-`, starting with a letter): YAML reads such a value as exactly that string.
 */
const PLAIN_TOKEN_LINE = /^token:[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*$/m;

/**
 * writeAccessFiles writes the CLI config and the kubeconfig (mode 0600: they hold an admin token), each
 * atomically (temp file + rename) so a crash never leaves half a file.
 */
export async function writeAccessFiles(files: AccessFiles, access: { server: string; token: string; ca: string }): Promise<void> {
  const { stringify } = await import("yaml");
  const cli = `# Written by berthd on first start. The token is an admin token: keep this file private.\n${stringify({ server: access.server, token: access.token, ca: access.ca })}`;
  const kubeconfig = stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "berth", cluster: { server: access.server, "certificate-authority-data": Buffer.from(access.ca).toString("base64") } }],
    users: [{ name: "berth-admin", user: { token: access.token } }],
    contexts: [{ name: "berth", context: { cluster: "berth", user: "berth-admin", namespace: "default" } }],
    "current-context": "berth",
  });
  await atomicWrite(files.cliConfig, cli);
  await atomicWrite(files.kubeconfig, kubeconfig);
}

async function atomicWrite(path: string, content: string): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}
