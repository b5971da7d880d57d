import { createHash } from "node:crypto";
import { Transform, Writable, type TransformCallback } from "node:stream";

/** Digest is what a HashCounter saw: the bytes and their sha256, once the stream ended. */
export interface Digest {
  bytes: number;
  sha256: string;
}

/** HashCounter passes data through unchanged, hashing and counting it as it goes. */
export class HashCounter extends Transform {
  private readonly hash = createHash("sha256");
  private count = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.count += chunk.length;
    callback(null, chunk);
  }

  /** digest is valid once the stream has finished. */
  digest(): Digest {
    return { bytes: this.count, sha256: this.hash.copy().digest("hex") };
  }
}

/**
 * Tee writes every chunk to each of its outputs and takes the next one only when all of them have accepted
 * it (waiting for `drain` where one is full): the slowest target sets the pace and memory stays bounded by
 * the outputs' buffers. Its end ends every output; an output's error fails the tee.
 */
export class Tee extends Writable {
  private readonly outputs: Writable[];

  constructor(outputs: Writable[]) {
    super({ highWaterMark: STREAM_BUFFER });
    this.outputs = outputs;
    for (const output of outputs) output.on("error", (error) => this.destroy(error));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    const waits: Array<Promise<void>> = [];
    for (const output of this.outputs) {
      if (!output.write(chunk)) waits.push(new Promise((resolve) => output.once("drain", resolve)));
    }
    if (waits.length === 0) return callback();
    Promise.all(waits).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    let left = this.outputs.length;
    if (left === 0) return callback();
    for (const output of this.outputs) output.end(() => --left === 0 && callback());
  }
}

/**
 * STREAM_BUFFER is the buffer of each stage a dump flows through (exec output, tee, each target): small, since
 * several stages hold one at once and berthd's memory must not grow with the size of a dump.
 */
export const STREAM_BUFFER = 256 * 1024;
