import type { DockerClient } from "./client.ts";
import { DockerError, ImageNotFoundError, ImagePullError, isNotFound, statusCodeOf } from "./errors.ts";
import { withTimeout } from "./signals.ts";
import { dial } from "./dial.ts";

/** RegistryAuth are the credentials of a private registry, from an App's `imagePullSecretRef`. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress?: string;
}

/** ImageRef is a resolved image: the reference asked for and the Engine's image ID. */
export interface ImageRef {
  ref: string;
  id: string;
}

/** DEFAULT_PULL_TIMEOUT_MS bounds one pull. */
export const DEFAULT_PULL_TIMEOUT_MS = 45_000;

/** inspectImage returns the image's ID, or undefined when the Engine does not have it. */
export async function inspectImage(docker: DockerClient, ref: string, signal?: AbortSignal): Promise<ImageRef | undefined> {
  try {
    const info = await dial<{ Id: string }>(docker, "GET", `/images/${ref}/json`, withTimeout(signal));
    return { ref, id: info.Id };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new DockerError(`inspect image ${ref}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/**
 * ensureImage returns the image's ID, pulling it first when the Engine does not have it (a local image is used
 * as is, never re-pulled). It throws ImageNotFoundError when the registry does not know the image and
 * ImagePullError for every other pull failure.
 */
export async function ensureImage(docker: DockerClient, ref: string, options: { auth?: RegistryAuth; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ImageRef> {
  const local = await inspectImage(docker, ref, options.signal);
  if (local) return local;
  await pull(docker, ref, options);
  const pulled = await inspectImage(docker, ref, options.signal);
  if (!pulled) throw new ImageNotFoundError(ref, `image ${ref} is missing after a successful pull`);
  return pulled;
}

async function pull(docker: DockerClient, ref: string, options: { auth?: RegistryAuth; signal?: AbortSignal; timeoutMs?: number }): Promise<void> {
  const signal = withTimeout(options.signal, options.timeoutMs ?? DEFAULT_PULL_TIMEOUT_MS);
  try {
    const stream = await docker.pull(ref, { abortSignal: signal, ...(options.auth ? { authconfig: options.auth } : {}) });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
    });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (isNotFound(err) || /not found|manifest unknown|does not exist|pull access denied/i.test(message))
      throw new ImageNotFoundError(ref, `image ${ref} not found: ${firstLine(message)}`, { cause: err });
    throw new ImagePullError(ref, `pull of ${ref} failed: ${firstLine(message)}`, { cause: err });
  }
}

function firstLine(text: string): string {
  return text.replace(/^\(HTTP code \d+\)[^-]*- /, "").split("\n")[0]!.trim().slice(0, 300);
}
