import { spawn } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BaseImages } from "../../controllers/build/detect/index.ts";
import { DEBIAN_BASE_IMAGE, ensureDebianBaseImage } from "./debian-base.ts";
import { BUSYBOX } from "./images.ts";

/**
 * STACK_BASE_IMAGES stand in for the official images of each stack on a machine without a registry: Debian's
 * own Node.js, Python, Go and nginx packages installed on the local Debian base (see debian-base.ts), and a
 * `FROM scratch` busybox for the busybox variant of static sites.
 */
export const STACK_BASE_IMAGES = {
  node: "berth-test/stack-node:bookworm",
  python: "berth-test/stack-python:bookworm",
  go: "berth-test/stack-go:bookworm",
  goRuntime: DEBIAN_BASE_IMAGE,
  static: "berth-test/stack-nginx:bookworm",
  busybox: "berth-test/stack-busybox:1",
} as const;

/** localBaseImages are STACK_BASE_IMAGES as detection takes them (static: nginx, or busybox when asked). */
export function localBaseImages(staticServer: "nginx" | "busybox" = "nginx"): BaseImages {
  const { busybox, ...images } = STACK_BASE_IMAGES;
  return { ...images, static: staticServer === "busybox" ? busybox : images.static };
}

const apt = (packages: string, extra = "") =>
  `FROM ${DEBIAN_BASE_IMAGE}\nRUN apt-get update && apt-get install -y --no-install-recommends ${packages} && rm -rf /var/lib/apt/lists/*\n${extra}`;

const RECIPES: Record<string, string> = {
  [STACK_BASE_IMAGES.node]: apt("nodejs npm"),
  [STACK_BASE_IMAGES.python]: apt("python3 python3-venv python3-pip"),
  // Debian puts go under /usr/lib/go/bin; the official image has it on PATH, and ca-certificates where detection copies them from.
  [STACK_BASE_IMAGES.go]: apt("golang-go ca-certificates", "ENV PATH=/usr/lib/go/bin:$PATH\n"),
  [STACK_BASE_IMAGES.static]: apt("nginx-light"),
  [STACK_BASE_IMAGES.busybox]: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n',
};

/** docker runs the docker CLI within `timeoutMs`, resolving to its stdout; a failure carries stderr's tail. */
export function docker(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      code === 0 ? resolve(stdout.trim()) : reject(new Error(`docker ${args[0]} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split("\n").slice(-15).join("\n")}`)));
  });
}

/** imageExists says whether a tag is present in the local Engine. */
export async function imageExists(tag: string): Promise<boolean> {
  return docker(["image", "inspect", tag], 15_000).then(() => true, () => false);
}

/**
 * ensureStackBaseImages builds the missing STACK_BASE_IMAGES (cached by tag: a few minutes the first time for
 * the apt installs, nothing afterwards), under a lock so concurrent test files build each once.
 */
export async function ensureStackBaseImages(timeoutMs = 900_000): Promise<void> {
  await ensureDebianBaseImage();
  for (const [tag, dockerfile] of Object.entries(RECIPES)) {
    if (await imageExists(tag)) continue;
    const dir = await mkdtemp(join(tmpdir(), "berth-stack-image-"));
    try {
      await writeFile(join(dir, "Dockerfile"), dockerfile);
      if (dockerfile.includes("COPY busybox")) await copyFile(BUSYBOX, join(dir, "busybox"));
      // flock: a second process waits, then its build is all cache hits.
      await new Promise<void>((resolve, reject) => {
        const child = spawn("flock", ["/tmp/berth-stack-images.lock", "docker", "build", "-q", "-t", tag, dir], { stdio: ["ignore", "ignore", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
        let stderr = "";
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`building ${tag} failed: ${stderr.trim().split("\n").slice(-15).join("\n")}`))));
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
