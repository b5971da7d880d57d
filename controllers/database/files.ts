import { pack } from "tar-stream";
import type { DockerClient } from "../docker/index.ts";
import { DockerError, statusCodeOf, withTimeout } from "../docker/index.ts";
import { ENGINE_UID, SECRETS_DIR } from "./engines.ts";

/**
 * putSecretFiles copies `files` into SECRETS_DIR of a created (not yet started) container, owned by the
 * engine's user and readable by it alone (0400). The engine's entrypoint reads them through the `*_FILE`
 * variables, so no password is ever in the container's configuration, command line or labels.
 */
export async function putSecretFiles(docker: DockerClient, containerId: string, files: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const archive = await tarOf(files);
  try {
    await docker.getContainer(containerId).putArchive(archive, { path: "/", abortSignal: withTimeout(signal) } as { path: string });
  } catch (err) {
    throw new DockerError(`copy credential files into container ${containerId}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/** tarOf builds the archive: the directory (0700) and one file per entry, all owned by ENGINE_UID. */
function tarOf(files: Record<string, string>): Promise<Buffer> {
  const dir = SECRETS_DIR.replace(/^\//, "");
  const owner = { uid: ENGINE_UID, gid: ENGINE_UID, mtime: new Date() };
  const archive = pack();
  archive.entry({ name: `${dir}/`, type: "directory", mode: 0o700, ...owner });
  for (const [name, content] of Object.entries(files)) archive.entry({ name: `${dir}/${name}`, mode: 0o400, ...owner }, content);
  archive.finalize();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    archive.on("data", (c: Buffer) => chunks.push(c));
    archive.on("end", () => resolve(Buffer.concat(chunks)));
    archive.on("error", reject);
  });
}
