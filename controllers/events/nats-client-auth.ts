import { readFile } from "node:fs/promises";
import { credsAuthenticator, type ConnectionOptions } from "nats";
import { ValidationError } from "../../resources/errors.ts";

/**
 * NatsClientAuth is how berthd proves itself to NATS and checks the server: a user and password, or the
 * contents of a NATS `.creds` file (JWT and nkey seed), and optionally the PEM of the CA that signs the
 * server's TLS certificate. Values are never logged.
 */
export interface NatsClientAuth {
  user?: string;
  password?: string;
  /** creds is a NATS `.creds` file (decentralised auth: a user JWT and its nkey seed). */
  creds?: Uint8Array;
  /** ca is the PEM of a CA to trust for a TLS server (the connection then requires TLS). */
  ca?: string;
}

const CREDS_MARKER = "-----BEGIN NATS USER JWT-----";

/**
 * parseNatsCredentials reads what `--nats-creds` names: a NATS `.creds` file (recognised by its
 * `-----BEGIN NATS USER JWT-----` block), or a file whose first line is `user:password` (the password may
 * contain `:`; surrounding whitespace is ignored). `field` names the flag in errors.
 */
export function parseNatsCredentials(text: string, field = "--nats-creds"): NatsClientAuth {
  if (text.includes(CREDS_MARKER)) return { creds: new TextEncoder().encode(text) };
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#")) ?? "";
  const colon = line.indexOf(":");
  if (colon <= 0 || colon === line.length - 1)
    throw new ValidationError(`${field}: expected a NATS .creds file or a line "user:password"`, [{ field, message: 'expected a NATS .creds file or a line "user:password"' }]);
  return { user: line.slice(0, colon), password: line.slice(colon + 1) };
}

/** loadNatsClientAuth reads the files `--nats-creds` and `--nats-ca` name (either may be absent). */
export async function loadNatsClientAuth(files: { credsFile?: string | undefined; caFile?: string | undefined }): Promise<NatsClientAuth> {
  const auth: NatsClientAuth = {};
  if (files.credsFile) Object.assign(auth, parseNatsCredentials(await readNamed(files.credsFile, "--nats-creds")));
  if (files.caFile) {
    const ca = await readNamed(files.caFile, "--nats-ca");
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) throw new ValidationError(`--nats-ca: ${files.caFile} holds no PEM certificate`, [{ field: "--nats-ca", message: "no PEM certificate" }]);
    auth.ca = ca;
  }
  return auth;
}

async function readNamed(file: string, field: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new ValidationError(`${field}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [{ field, message: "cannot be read" }]);
  }
}

/** connectOptionsFor turns NatsClientAuth into nats.js connection options. */
export function connectOptionsFor(auth: NatsClientAuth | undefined): Partial<ConnectionOptions> {
  if (!auth) return {};
  return {
    ...(auth.creds ? { authenticator: credsAuthenticator(auth.creds) } : {}),
    ...(auth.user !== undefined ? { user: auth.user, pass: auth.password ?? "" } : {}),
    ...(auth.ca ? { tls: { ca: auth.ca } } : {}),
  };
}

/** redactUrl removes a password (or any user info) from a NATS URL before it goes into a message or log. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, "$1***@");
}
