import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";

/** S3_TEST_KEY is the access key s3rver checks signatures against. */
export const S3_TEST_KEY = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** TestS3 is a real S3-compatible server (s3rver) on a free loopback port, with its data in a temp directory. */
export interface TestS3 {
  endpoint: string;
  /** bucket is created at start. */
  bucket: string;
  /** directory holds the objects on disk (`<directory>/<bucket>/...`). */
  directory: string;
  close(): Promise<void>;
}

/**
 * startTestS3 starts s3rver in this process on 127.0.0.1, port chosen by the OS, with one bucket. It checks
 * request signatures, so a wrong secret key fails as it would against S3.
 */
export async function startTestS3(bucket = "berth-backups"): Promise<TestS3> {
  const { default: S3rver } = (await import("s3rver")) as unknown as { default: new (options: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> } };
  const directory = await mkdtemp(join(tmpdir(), "berth-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }], vhostBuckets: false });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    directory,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
