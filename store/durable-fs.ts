import { write } from "node:fs";
import { open, rename, type FileHandle } from "node:fs/promises";
import path from "node:path";

/**
 * syncDir fsyncs a directory, so that files created, renamed or removed in it survive a power loss: fsync of a
 * file makes its bytes durable, not its name.
 */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** writeFileDurably writes a whole file atomically: temp file, fsync, rename over the target, fsync the directory. */
export async function writeFileDurably(file: string, chunks: Iterable<string | Uint8Array>, mode = 0o644): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, "w", mode);
  try {
    for (const chunk of chunks) await writeFully(handle, typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncDir(path.dirname(file));
}

/** writeFully writes all of a buffer, at `position` or at the file offset: a file write may be short. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position === undefined ? null : position + offset);
    offset += bytesWritten;
  }
}

/**
 * pwriteFully writes all of a buffer at `position` of a file descriptor. It is the journal's hot path, so it
 * uses the callback API: FileHandle.write holds the event loop about 2.5 times as long per call.
 */
export function pwriteFully(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      write(fd, bytes, offset, bytes.length - offset, position + offset, (error, written) => {
        if (error) reject(error);
        else if (offset + written < bytes.length) step(offset + written);
        else resolve();
      });
    };
    step(0);
  });
}
