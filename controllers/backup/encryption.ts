import { createCipheriv, createDecipheriv, createHash, randomBytes, type CipherGCM, type DecipherGCM } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * Snapshots are encrypted at rest with AES-256-GCM, streamed: `MAGIC`, a 12-byte random IV, the ciphertext,
 * then GCM's 16-byte tag. The key is sha256 of the Secret's `key` value, so any passphrase length works.
 */
export const MAGIC = Buffer.from("BERTHGCM");
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** encryptionKey derives the 256-bit key from a Secret's value. */
export function encryptionKey(secretValue: string): Buffer {
  return createHash("sha256").update(secretValue, "utf8").digest();
}

/** encryptStream returns a Transform that encrypts what goes through it. */
export function encryptStream(key: Buffer): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv) as CipherGCM;
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([MAGIC, iv]));
      }
      callback(null, cipher.update(chunk));
    },
    flush(callback: TransformCallback) {
      if (!started) this.push(Buffer.concat([MAGIC, iv]));
      this.push(cipher.final());
      callback(null, cipher.getAuthTag());
    },
  });
}

/**
 * decryptStream returns a Transform that decrypts a stream made by encryptStream. It always holds back the
 * last 16 bytes (the tag may be in them) and fails at the end when the tag does not authenticate the data.
 */
export function decryptStream(key: Buffer): Transform {
  let header = Buffer.alloc(0);
  let decipher: DecipherGCM | undefined;
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      let data = chunk;
      if (!decipher) {
        header = Buffer.concat([header, data]);
        if (header.length < MAGIC.length + IV_BYTES) return callback();
        if (!header.subarray(0, MAGIC.length).equals(MAGIC)) return callback(new Error("the snapshot is not encrypted by Berth (no BERTHGCM header)"));
        decipher = createDecipheriv("aes-256-gcm", key, header.subarray(MAGIC.length, MAGIC.length + IV_BYTES)) as DecipherGCM;
        data = header.subarray(MAGIC.length + IV_BYTES);
      }
      const all = tail.length > 0 ? Buffer.concat([tail, data]) : data;
      if (all.length <= TAG_BYTES) {
        tail = Buffer.from(all);
        return callback();
      }
      tail = Buffer.from(all.subarray(all.length - TAG_BYTES));
      callback(null, decipher.update(all.subarray(0, all.length - TAG_BYTES)));
    },
    flush(callback: TransformCallback) {
      if (!decipher || tail.length !== TAG_BYTES) return callback(new Error("the encrypted snapshot is truncated"));
      decipher.setAuthTag(tail);
      try {
        callback(null, decipher.final());
      } catch {
        callback(new Error("the encrypted snapshot does not authenticate: wrong key, or the data was changed"));
      }
    },
  });
}
