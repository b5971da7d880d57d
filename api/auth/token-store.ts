import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { AlreadyExistsError, NotFoundError, ValidationError, type FieldCause } from "../../resources/index.ts";

/**
 * Role is what a token may do in a namespace: `viewer` reads (get, list, watch, events); `deployer` also
 * creates, updates, patches and deletes every kind, and may write Secrets without reading their values;
 * `admin` may do everything, reads Secret values and manages tokens.
 */
export type Role = "viewer" | "deployer" | "admin";

/** ROLES lists the roles from least to most powerful. */
export const ROLES: readonly Role[] = ["viewer", "deployer", "admin"];

/** RoleBinding grants a role in one namespace, or in every namespace with `"*"`. */
export interface RoleBinding {
  namespace: string;
  role: Role;
}

/** Identity is who an authenticated request comes from: the token's name and its bindings. */
export interface Identity {
  name: string;
  bindings: readonly RoleBinding[];
}

/** TokenInfo is what may be shown about a token: never its value or hash. */
export interface TokenInfo {
  name: string;
  bindings: RoleBinding[];
  createdAt: string;
}

interface StoredToken extends TokenInfo {
  sha256: string;
}

const TOKEN_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;
const TOKEN_PREFIX = "berth_";
/** MAX_REMEMBERED bounds the tokens authenticate remembers; past it the memory starts over. */
const MAX_REMEMBERED = 1024;

function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** validateBindings checks names, namespaces and roles, naming the offending field. */
function validateToken(name: string, bindings: RoleBinding[]): void {
  const causes: FieldCause[] = [];
  if (typeof name !== "string" || name.length > 63 || !TOKEN_NAME.test(name)) causes.push({ field: "name", message: "must be a DNS label" });
  if (!Array.isArray(bindings) || bindings.length === 0) causes.push({ field: "bindings", message: "at least one binding is required" });
  else
    bindings.forEach((b, i) => {
      if (typeof b?.namespace !== "string" || !NAMESPACE.test(b.namespace)) causes.push({ field: `bindings[${i}].namespace`, message: 'must be a namespace or "*"' });
      if (!ROLES.includes(b?.role)) causes.push({ field: `bindings[${i}].role`, message: `must be one of ${ROLES.join(", ")}` });
    });
  if (causes.length > 0) throw new ValidationError(`token is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join("; ")}`, causes);
}

/**
 * TokenStore keeps API tokens in a JSON file, hashed with SHA-256: the plaintext is returned once by `create`
 * and never stored. Tokens are 32 random bytes, so an unsalted fast hash is enough (nothing to brute-force).
 * Writes replace the file atomically (write, fsync, rename) with mode 0600 and are serialised.
 */
export class TokenStore {
  private readonly file: string;
  private readonly tokens = new Map<string, StoredToken>();
  private readonly byHash = new Map<string, StoredToken>();
  /** recent maps tokens seen lately to their identity (see authenticate). */
  private readonly recent = new Map<string, Identity>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(file: string, tokens: StoredToken[]) {
    this.file = file;
    for (const t of tokens) this.index(t);
  }

  /** open loads the token file, or starts empty when it does not exist yet. */
  static async open(file: string): Promise<TokenStore> {
    let tokens: StoredToken[] = [];
    try {
      const parsed = JSON.parse(await readFile(file, "utf8")) as { tokens?: StoredToken[] };
      tokens = parsed.tokens ?? [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read token file ${file}`, { cause: error });
    }
    return new TokenStore(file, tokens);
  }

  /** create makes a new token and returns its plaintext, which is shown once and cannot be recovered. */
  async create(name: string, bindings: RoleBinding[]): Promise<{ name: string; token: string }> {
    validateToken(name, bindings);
    if (this.tokens.has(name)) throw new AlreadyExistsError(`token "${name}" already exists`);
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const stored: StoredToken = {
      name,
      bindings: bindings.map((b) => ({ namespace: b.namespace, role: b.role })),
      createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      sha256: sha256(token),
    };
    this.index(stored);
    try {
      await this.save();
    } catch (error) {
      this.unindex(stored);
      throw error;
    }
    return { name, token };
  }

  /**
   * authenticate returns the identity a token belongs to, or undefined for an unknown token. Known tokens are
   * remembered (up to MAX_REMEMBERED, forgotten on every revocation), so a client's requests after its first
   * skip the hash; unknown ones are not, so guessing costs a hash each time and cannot fill the memory.
   */
  authenticate(token: string): Identity | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const remembered = this.recent.get(token);
    if (remembered) return remembered;
    const found = this.byHash.get(sha256(token));
    if (!found) return undefined;
    const identity: Identity = Object.freeze({ name: found.name, bindings: found.bindings });
    if (this.recent.size >= MAX_REMEMBERED) this.recent.clear();
    this.recent.set(token, identity);
    return identity;
  }

  /** list describes every token, without values or hashes. */
  list(): TokenInfo[] {
    return [...this.tokens.values()]
      .map((t) => ({ name: t.name, bindings: t.bindings.map((b) => ({ ...b })), createdAt: t.createdAt }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** revoke deletes a token; requests carrying it are refused from now on. */
  async revoke(name: string): Promise<void> {
    const found = this.tokens.get(name);
    if (!found) throw new NotFoundError(`token "${name}" not found`);
    this.unindex(found);
    try {
      await this.save();
    } catch (error) {
      this.index(found);
      throw error;
    }
  }

  private index(t: StoredToken): void {
    this.tokens.set(t.name, t);
    this.byHash.set(t.sha256, t);
  }

  private unindex(t: StoredToken): void {
    this.tokens.delete(t.name);
    this.byHash.delete(t.sha256);
    this.recent.clear();
  }

  /** save writes the current tokens; concurrent saves run one after the other, each writing the latest state. */
  private save(): Promise<void> {
    const next = this.writing.catch(() => undefined).then(() => this.writeFile());
    this.writing = next;
    return next;
  }

  private async writeFile(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await open(tmp, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify({ tokens: [...this.tokens.values()] }, null, 2) + "\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }
}
