import type { Readable, Writable } from "node:stream";
import type { Manifest } from "../snapshot.ts";

/** PendingWrite is a snapshot being written: invisible to `list` until committed and its manifest written. */
export interface PendingWrite {
  /** stream takes the snapshot's bytes. */
  stream: Writable;
  /** commit makes the bytes durable under their final name, once the stream has finished; returns the location. */
  commit(): Promise<string>;
  /** abort removes whatever was written (a partial file, an upload's parts). */
  abort(): Promise<void>;
}

/** SnapshotTarget is one place snapshots are kept: a host directory or an S3 bucket. */
export interface SnapshotTarget {
  /** kind is `local` or `s3`, as in the Backup's spec. */
  readonly kind: "local" | "s3";
  /** location says where a file of this target is, for status and `berth backup list`. */
  location(file: string): string;
  /** begin starts writing a snapshot file. */
  begin(file: string, signal: AbortSignal): Promise<PendingWrite>;
  /** open reads a committed snapshot file back. */
  open(file: string, signal: AbortSignal): Promise<Readable>;
  /** writeManifest publishes a snapshot: from then on `list` returns it. */
  writeManifest(manifest: Manifest, signal: AbortSignal): Promise<void>;
  /** list returns the snapshots that have a manifest, oldest first. */
  list(signal: AbortSignal): Promise<Manifest[]>;
  /** remove deletes a snapshot: its manifest first (so it is never listed without its data), then its file. */
  remove(manifest: Pick<Manifest, "id" | "file">, signal: AbortSignal): Promise<void>;
  /** sweep removes leftovers of interrupted runs: partial files and snapshot files without a manifest. */
  sweep(signal: AbortSignal): Promise<number>;
}
