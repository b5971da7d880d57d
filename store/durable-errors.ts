/**
 * Errors of the durable store. Each failure has its own class so the daemon can tell an operator exactly what is
 * wrong with the data directory instead of a generic I/O error.
 */

/** JournalCorruptError is damage that cannot be a torn write: a bad record with good records after it, a gap in revisions, or an unreadable snapshot. The store refuses to start. */
export class JournalCorruptError extends Error {
  override name = "JournalCorruptError";
  /** file is the damaged file. */
  readonly file: string;
  /** offset is the byte offset of the first bad record (-1 when the whole file is unreadable). */
  readonly offset: number;
  constructor(file: string, offset: number, message: string, options?: ErrorOptions) {
    super(`${file}${offset >= 0 ? ` at byte ${offset}` : ""}: ${message}`, options);
    this.file = file;
    this.offset = offset;
  }
}

/** StoreLockedError is a data directory that a live process already has open. */
export class StoreLockedError extends Error {
  override name = "StoreLockedError";
  /** pid is the process holding the lock. */
  readonly pid: number;
  constructor(lockFile: string, pid: number) {
    super(`${lockFile} is held by live process ${pid}: another berthd is using this data directory`);
    this.pid = pid;
  }
}

/** SecretKeyError is a missing, malformed or wrong encryption key for Secret values. */
export class SecretKeyError extends Error {
  override name = "SecretKeyError";
}

/** JournalFailedError rejects writes once a journal write or fsync has failed: after a failed fsync the file's state is unknown, so nothing more is acknowledged. */
export class JournalFailedError extends Error {
  override name = "JournalFailedError";
}
