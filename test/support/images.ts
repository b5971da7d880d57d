import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DockerClient } from "../../controllers/docker/index.ts";
import { inspectImage } from "../../controllers/docker/index.ts";

/** BUSYBOX is Debian's static busybox (package busybox-static): with it a `FROM scratch` image has sh, httpd and nc. */
export const BUSYBOX = "/bin/busybox";

/** WEB_PORT is the port the web test images listen on. */
export const WEB_PORT = 8080;

/**
 * TEST_IMAGES are the images the App tests run, each about 2 MB (`FROM scratch` + busybox):
 * - `web:v1`, `web:v2`: busybox httpd on 8080 serving `/` = "v1"/"v2" and `/healthz` = "ok"; they exit on SIGTERM;
 * - `web:never-healthy`: listens on nothing (tcp and http checks both fail), exits on SIGTERM;
 * - `crash:v1`: prints two lines and exits with code 3 at once.
 */
export const TEST_IMAGES = {
  webV1: "berth-test/web:v1",
  webV2: "berth-test/web:v2",
  neverHealthy: "berth-test/web:never-healthy",
  crash: "berth-test/crash:v1",
} as const;

const SERVE = `trap 'exit 0' TERM INT; httpd -f -p ${WEB_PORT} -h /www & wait`;

function webDockerfile(version: string): string {
  return [
    "FROM scratch",
    "COPY busybox /bin/busybox",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    `RUN mkdir -p /www && echo ${version} > /www/index.html && echo ok > /www/healthz`,
    `EXPOSE ${WEB_PORT}`,
    `CMD ["/bin/sh", "-c", "${SERVE}"]`,
  ].join("\n");
}

const DOCKERFILES: Record<string, string> = {
  [TEST_IMAGES.webV1]: webDockerfile("v1"),
  [TEST_IMAGES.webV2]: webDockerfile("v2"),
  [TEST_IMAGES.neverHealthy]: [
    "FROM scratch",
    "COPY busybox /bin/busybox",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM INT; sleep 86400 & wait"]`,
  ].join("\n"),
  [TEST_IMAGES.crash]: [
    "FROM scratch",
    "COPY busybox /bin/busybox",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    `CMD ["/bin/sh", "-c", "echo booting; echo 'fatal: no configuration found' >&2; exit 3"]`,
  ].join("\n"),
};

/**
 * ensureTestImages builds the test images that are missing (cached by tag: an image already present is not
 * rebuilt), so several test files can call it; it takes a few seconds the first time, nothing afterwards.
 */
export async function ensureTestImages(docker: DockerClient, tags: readonly string[] = Object.values(TEST_IMAGES)): Promise<void> {
  for (const tag of tags) {
    if (await inspectImage(docker, tag)) continue;
    const dockerfile = DOCKERFILES[tag];
    if (!dockerfile) throw new Error(`no recipe for test image ${tag}`);
    await buildImage(docker, tag, dockerfile);
  }
}

/** buildImage builds `tag` from a Dockerfile whose context holds only busybox, within 120 s. */
async function buildImage(docker: DockerClient, tag: string, dockerfile: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "berth-image-"));
  try {
    await writeFile(join(dir, "Dockerfile"), dockerfile);
    await copyFile(BUSYBOX, join(dir, "busybox"));
    const context = await tarDirectory(dir);
    const signal = AbortSignal.timeout(120_000);
    const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true, abortSignal: signal } as Parameters<DockerClient["buildImage"]>[1]);
    const output: Array<{ error?: string; stream?: string }> = await new Promise((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) => (err ? reject(err) : resolve(res)));
    });
    const failed = output.find((o) => o.error);
    if (failed) throw new Error(`docker build of ${tag} failed: ${failed.error}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function tarDirectory(dir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tar = spawn("tar", ["-C", dir, "-cf", "-", "."], { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    tar.stdout.on("data", (c: Buffer) => chunks.push(c));
    tar.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    tar.on("error", reject);
    tar.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar exited with ${code}: ${stderr}`))));
  });
}
