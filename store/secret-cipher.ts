import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmod, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Resource } from "../resources/index.ts";
import { SecretKeyError } from "./durable-errors.ts";
import { writeFileDurably } from "./durable-fs.ts";
import { keyString } from "./store.ts";

/** SECRET_KEY_FILE is the key file's name inside the data directory. */
export const SECRET_KEY_FILE = "secret.key";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = "v1:";

/**
 * SecretCipher encrypts Secrets at rest with AES-256-GCM. A sealed Secret keeps only what identifies it
 * (apiVersion, kind, name, namespace); everything else, including labels and annotations (kubectl's
 * last-applied annotation repeats the data), is one ciphertext bound to the object's key, so a sealed value
 * cannot be moved onto another Secret.
 */
export class SecretCipher {
  private readonly key: Buffer;

  private constructor(key: Buffer) {
    this.key = key;
  }

  /** open reads the key file, creating a new random key (mode 0600) on first start. */
  static async open(dataDir: string): Promise<SecretCipher> {
    const file = path.join(dataDir, SECRET_KEY_FILE);
    const key = (await readKey(file)) ?? (await createKey(file));
    if (key.length !== KEY_BYTES) throw new SecretKeyError(`${file} must hold exactly ${KEY_BYTES} bytes, found ${key.length}`);
    return new SecretCipher(key);
  }

  /** seal returns the form an object is stored in: Secrets encrypted, every other kind unchanged. */
  seal(obj: Resource): Resource {
    if (obj.kind !== "Secret") return obj;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(keyString(identity(obj))));
    const body = Buffer.concat([cipher.update(JSON.stringify(obj), "utf8"), cipher.final()]);
    const sealed = FORMAT + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, sealed };
  }

  /** unseal is the inverse of seal; it throws SecretKeyError when a Secret cannot be decrypted with this key. */
  unseal(stored: Resource): Resource {
    if (stored.kind !== "Secret") return stored;
    const where = `Secret ${stored.metadata.namespace}/${stored.metadata.name}`;
    if (typeof stored.sealed !== "string" || !stored.sealed.startsWith(FORMAT)) throw new SecretKeyError(`${where} is stored without encryption; refusing to load it`);
    const raw = Buffer.from(stored.sealed.slice(FORMAT.length), "base64");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyString(identity(stored))));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString("utf8")) as Resource;
    } catch (error) {
      throw new SecretKeyError(`cannot decrypt ${where}: is ${SECRET_KEY_FILE} the key this store was written with?`, { cause: error });
    }
  }
}

function identity(obj: Resource) {
  return { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}

async function readKey(file: string): Promise<Buffer | undefined> {
  try {
    const info = await stat(file);
    // A key readable by others is not a secret any more; tighten it rather than refuse to start.
    if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** createKey writes a new key atomically (temp file, fsync, rename), so a crash never leaves a short key behind. */
async function createKey(file: string): Promise<Buffer> {
  const key = randomBytes(KEY_BYTES);
  await writeFileDurably(file, [key], 0o600);
  return key;
}
