import { randomBytes } from "node:crypto";
import { chmod, open, readFile, rename } from "node:fs/promises";
import { NatsServerError } from "./errors.ts";
import { parseNatsCredentials } from "./nats-client-auth.ts";

/** EmbeddedCredentials are the one user of the embedded nats-server: berthd itself. */
export interface EmbeddedCredentials {
  user: string;
  password: string;
}

/** EMBEDDED_USER is the user berthd connects to its own nats-server as. */
export const EMBEDDED_USER = "berthd";

/**
 * ensureEmbeddedCredentials returns the embedded nats-server's credentials from `file` (`user:password`, the
 * format `--nats-creds` reads), making them on first start: 32 random bytes of password, written with mode
 * 0600. Later starts reuse them, and tighten the file's mode if someone loosened it.
 */
export async function ensureEmbeddedCredentials(file: string): Promise<EmbeddedCredentials> {
  const existing = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new NatsServerError(`cannot read the NATS credentials ${file}: ${error.message}`, { cause: error });
  });
  if (existing !== undefined) {
    const { user, password } = parseNatsCredentials(existing, file);
    await chmod(file, 0o600);
    return { user: user!, password: password! };
  }
  const credentials = { user: EMBEDDED_USER, password: randomBytes(32).toString("base64url") };
  await writePrivateFile(file, `${credentials.user}:${credentials.password}\n`);
  return credentials;
}

/** writePrivateFile replaces `file` atomically with `content`, readable by its owner only (mode 0600). */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
