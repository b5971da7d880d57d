import { STREAM_BUFFER } from "../tee.ts";
import { PassThrough, Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { manifestFile, parseManifest, type Manifest } from "../snapshot.ts";
import type { PendingWrite, SnapshotTarget } from "./target.ts";

/** S3Settings are a Backup's `target.s3` with the access key read from its Secret. */
export interface S3Settings {
  endpoint?: string;
  bucket: string;
  prefix: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * PART_SIZE and QUEUE_SIZE bound what an upload holds in memory: S3's smallest part (5 MiB), two in flight.
 * A dump of any size streams through in that much.
 */
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** sdk loads the AWS SDK when the first S3 target is used: most berthds never load it. */
async function sdk() {
  const [s3, storage] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage")]);
  return { ...s3, Upload: storage.Upload };
}

/**
 * S3Target keeps snapshots in a bucket under `<prefix><namespace>/<backup>/`. A snapshot is streamed with a
 * multipart upload (lib-storage's Upload): an object appears only when the upload completes, and a failed or
 * aborted one has its parts aborted. The manifest is put after the snapshot is verified.
 */
export class S3Target implements SnapshotTarget {
  readonly kind = "s3" as const;
  private readonly base: string;
  private clientPromise: Promise<S3Client> | undefined;

  private readonly settings: S3Settings;

  constructor(settings: S3Settings, namespace: string, backup: string) {
    this.settings = settings;
    this.base = `${settings.prefix}${namespace}/${backup}/`;
  }

  private client(): Promise<S3Client> {
    this.clientPromise ??= sdk().then(({ S3Client }) => new S3Client({
      region: this.settings.region,
      forcePathStyle: this.settings.forcePathStyle,
      ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
      credentials: { accessKeyId: this.settings.accessKeyId, secretAccessKey: this.settings.secretAccessKey },
      maxAttempts: 3,
      // Checksums only where S3 requires them: S3-compatible services (MinIO, Ceph, Garage, s3rver) do not all
      // understand the SDK's default trailing CRC32 on streamed uploads.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }));
    return this.clientPromise;
  }

  location(file: string): string {
    return `s3://${this.settings.bucket}/${this.base}${file}`;
  }

  async begin(file: string, signal: AbortSignal): Promise<PendingWrite> {
    const { Upload } = await sdk();
    const client = await this.client();
    const body = new PassThrough({ highWaterMark: STREAM_BUFFER });
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const upload = new Upload({
      client,
      params: { Bucket: this.settings.bucket, Key: this.base + file, Body: body, ContentType: "application/octet-stream" },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
      abortController,
    });
    const done = upload.done();
    // An upload that fails stops reading its body: failing the body too fails the tee feeding it.
    done.catch((error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))));
    return {
      stream: body,
      commit: async () => {
        try {
          await done;
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
        return this.location(file);
      },
      abort: async () => {
        signal.removeEventListener("abort", onAbort);
        abortController.abort();
        await done.catch(() => {});
        await this.deleteKey(this.base + file).catch(() => {});
      },
    };
  }

  async open(file: string, signal: AbortSignal): Promise<Readable> {
    const { GetObjectCommand } = await sdk();
    const client = await this.client();
    const answer = await client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.base + file }), { abortSignal: signal });
    if (!answer.Body) throw new Error(`${this.location(file)} has no body`);
    return answer.Body as Readable;
  }

  async writeManifest(manifest: Manifest, signal: AbortSignal): Promise<void> {
    const { PutObjectCommand } = await sdk();
    const client = await this.client();
    await client.send(new PutObjectCommand({
      Bucket: this.settings.bucket, Key: this.base + manifestFile(manifest.id), Body: JSON.stringify(manifest, null, 2), ContentType: "application/json",
    }), { abortSignal: signal });
  }

  async list(signal: AbortSignal): Promise<Manifest[]> {
    const keys = await this.keys(signal);
    const present = new Set(keys);
    const manifests: Manifest[] = [];
    for (const key of keys.filter((k) => k.endsWith(".json"))) {
      const text = await this.readText(key, signal);
      const manifest = text === undefined ? undefined : parseManifest(text);
      if (manifest && present.has(this.base + manifest.file)) manifests.push(manifest);
    }
    return manifests.sort((a, b) => a.id.localeCompare(b.id));
  }

  async remove(manifest: Pick<Manifest, "id" | "file">): Promise<void> {
    await this.deleteKey(this.base + manifestFile(manifest.id));
    await this.deleteKey(this.base + manifest.file);
  }

  async sweep(signal: AbortSignal): Promise<number> {
    const listed = new Set((await this.list(signal)).flatMap((m) => [this.base + m.file, this.base + manifestFile(m.id)]));
    let removed = 0;
    for (const key of await this.keys(signal)) {
      if (listed.has(key)) continue;
      await this.deleteKey(key);
      removed++;
    }
    return removed;
  }

  /** keys lists every object key under this Backup's prefix. */
  private async keys(signal: AbortSignal): Promise<string[]> {
    const { ListObjectsV2Command } = await sdk();
    const client = await this.client();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.base, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal });
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async readText(key: string, signal: AbortSignal): Promise<string | undefined> {
    const { GetObjectCommand } = await sdk();
    const client = await this.client();
    const answer = await client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }), { abortSignal: signal }).catch(() => undefined);
    return answer?.Body ? await answer.Body.transformToString("utf8") : undefined;
  }

  private async deleteKey(key: string): Promise<void> {
    const { DeleteObjectCommand } = await sdk();
    const client = await this.client();
    await client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }), { abortSignal: AbortSignal.timeout(30_000) });
  }
}
