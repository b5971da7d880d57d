import { Transform, type TransformCallback } from "node:stream";

/**
 * DockerDemux splits Docker's multiplexed attach stream (8-byte frame headers: stream type, 3 zero bytes, a
 * big-endian length) into stdout, which it passes on as a Transform with backpressure, and stderr, which it
 * hands to `onStderr`. dockerode's own `demuxStream` writes to its outputs without waiting for them, which
 * would let a fast dump pile up in memory in front of a slow upload.
 */
export class DockerDemux extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private type = -1;
  private remaining = 0;

  private readonly onStderr: (chunk: Buffer) => void;

  constructor(onStderr: (chunk: Buffer) => void) {
    super();
    this.onStderr = onStderr;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.remaining === 0) {
        // A header may arrive split across chunks: collect its 8 bytes first.
        const need = 8 - this.pending.length;
        if (data.length < need) {
          this.pending = Buffer.concat([this.pending, data]);
          return callback();
        }
        const header = this.pending.length > 0 ? Buffer.concat([this.pending, data.subarray(0, need)]) : data.subarray(0, 8);
        data = data.subarray(need);
        this.pending = Buffer.alloc(0);
        this.type = header.readUInt8(0);
        this.remaining = header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, data.length);
      const body = data.subarray(0, take);
      data = data.subarray(take);
      this.remaining -= take;
      if (this.type === 2) this.onStderr(body);
      else if (this.type === 1) this.push(body);
    }
    callback();
  }
}
