import type { DockerClient } from "./client.ts";
import { DockerError, isConflict, isNotFound, statusCodeOf } from "./errors.ts";
import { LABELS } from "./labels.ts";
import { withTimeout } from "./signals.ts";
import { dial } from "./dial.ts";
import { namespaceNetworkName } from "./names.ts";


/**
 * ensureNamespaceNetwork creates the namespace's bridge network if it is missing and returns its name. Apps and
 * databases of a namespace share it and reach each other by name (network aliases); other namespaces are on
 * other bridges and cannot. Creating the same network twice at once is harmless: a 409 means it exists, and a duplicate made by a
 * race is removed again.
 */
export async function ensureNamespaceNetwork(docker: DockerClient, namespace: string, signal?: AbortSignal): Promise<string> {
  const name = namespaceNetworkName(namespace);
  try {
    await dial(docker, "GET", `/networks/${encodeURIComponent(name)}`, withTimeout(signal));
    return name;
  } catch (err) {
    if (!isNotFound(err)) throw new DockerError(`inspect network ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
  try {
    await docker.createNetwork({
      Name: name,
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: { [LABELS.managed]: "true", [LABELS.namespace]: namespace, [LABELS.kind]: "Namespace" },
      abortSignal: withTimeout(signal),
    } as Parameters<DockerClient["createNetwork"]>[0]);
  } catch (err) {
    if (!isConflict(err)) throw new DockerError(`create network ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
  await removeDuplicateNetworks(docker, name, signal);
  return name;
}

/**
 * removeDuplicateNetworks keeps the oldest of several networks with one name. Docker's CheckDuplicate does not
 * stop two creates racing (two controllers, or two processes), and a name that matches two networks can no
 * longer be used to attach containers.
 */
async function removeDuplicateNetworks(docker: DockerClient, name: string, signal?: AbortSignal): Promise<void> {
  const found = (await docker.listNetworks({ filters: { name: [name] }, abortSignal: withTimeout(signal) } as Parameters<DockerClient["listNetworks"]>[0]))
    .filter((n) => n.Name === name)
    .sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created) || a.Id.localeCompare(b.Id));
  for (const extra of found.slice(1)) {
    await docker.getNetwork(extra.Id).remove({ abortSignal: withTimeout(signal) }).catch(() => undefined);
  }
}

/** removeNamespaceNetwork removes a namespace's network; missing is fine, and one still in use is left (409). */
export async function removeNamespaceNetwork(docker: DockerClient, namespace: string, signal?: AbortSignal): Promise<boolean> {
  const name = namespaceNetworkName(namespace);
  try {
    await docker.getNetwork(name).remove({ abortSignal: withTimeout(signal) });
    return true;
  } catch (err) {
    if (isNotFound(err) || isConflict(err) || statusCodeOf(err) === 403) return false;
    throw new DockerError(`remove network ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}
