import type Docker from "dockerode";
import type { DockerClient } from "./client.ts";
import { DockerError, isConflict, isNotFound, statusCodeOf } from "./errors.ts";
import { LABELS } from "./labels.ts";
import { withTimeout } from "./signals.ts";
import { dial } from "./dial.ts";
import { NAME_PREFIX, namespaceNetworkName } from "./names.ts";
import { DEFAULT_NETWORK_POOL, formatCidr, freeSubnet, gatewayOf, parseAddressPool, parseCidr, type AddressPool, type Cidr } from "./address-pool.ts";

/** NetworkPoolExhaustedError is a pool with no subnet left that overlaps no existing network. */
export class NetworkPoolExhaustedError extends Error {
  override name = "NetworkPoolExhaustedError";
}

/** NamespaceNetworkOptions say where subnets come from and which berthd makes the network. */
export interface NamespaceNetworkOptions {
  /** pool the subnet is taken from (default DEFAULT_NETWORK_POOL). */
  pool?: AddressPool;
  /** instance labels the network with the berthd that made it (LABELS.instance). */
  instance?: string;
  /**
   * serialize runs the pick-a-subnet-and-create step; NamespaceNetworks passes a lock so that one process never
   * races itself for a subnet. Races with other processes are caught by Docker and retried.
   */
  serialize?: <T>(step: () => Promise<T>) => Promise<T>;
}

/** NAMESPACE_NETWORK_KIND is the kind label of namespace networks: they belong to a namespace, not an object. */
export const NAMESPACE_NETWORK_KIND = "Namespace";

/** CREATE_ATTEMPTS bounds retries when another process takes the subnet we picked between our list and create. */
const CREATE_ATTEMPTS = 10;

/**
 * ensureNamespaceNetwork creates the namespace's bridge network if it is missing and returns its name. Apps and
 * databases of a namespace share it and reach each other by name (network aliases); other namespaces are on
 * other bridges and cannot. Its subnet is the first free one of the pool (see address-pool.ts). Creating the
 * same network twice at once is harmless: a 409 means it exists, and a duplicate made by a race is removed again.
 */
export async function ensureNamespaceNetwork(docker: DockerClient, namespace: string, signal?: AbortSignal, options: NamespaceNetworkOptions = {}): Promise<string> {
  const name = namespaceNetworkName(namespace);
  try {
    await dial(docker, "GET", `/networks/${encodeURIComponent(name)}`, withTimeout(signal));
    return name;
  } catch (err) {
    if (!isNotFound(err)) throw new DockerError(`inspect network ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
  const pool = options.pool ?? parseAddressPool(DEFAULT_NETWORK_POOL);
  const serialize = options.serialize ?? ((step) => step());
  await serialize(() => createInPool(docker, name, namespace, pool, options.instance, signal));
  await removeDuplicateNetworks(docker, name, signal);
  return name;
}

/** createInPool creates the network on the first free subnet of the pool, trying the next when another process took it. */
async function createInPool(docker: DockerClient, name: string, namespace: string, pool: AddressPool, instance: string | undefined, signal?: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const subnet = freeSubnet(pool, await takenSubnets(docker, signal));
    if (!subnet) throw new NetworkPoolExhaustedError(`no free /${pool.subnetPrefix} subnet left in the network pool ${pool.text} for namespace ${namespace}: remove unused namespaces or widen --network-pool`);
    try {
      await docker.createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        IPAM: { Driver: "default", Config: [{ Subnet: formatCidr(subnet), Gateway: gatewayOf(subnet) }] },
        Labels: {
          [LABELS.managed]: "true",
          [LABELS.namespace]: namespace,
          [LABELS.kind]: NAMESPACE_NETWORK_KIND,
          ...(instance ? { [LABELS.instance]: instance } : {}),
        },
        abortSignal: withTimeout(signal),
      } as Parameters<DockerClient["createNetwork"]>[0]);
      return;
    } catch (err) {
      if (isConflict(err)) return;
      // Another process took the subnet between our list and our create: list again and take the next one.
      if (/overlap/i.test((err as Error).message) && attempt < CREATE_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt));
        continue;
      }
      throw new DockerError(`create network ${name} (${formatCidr(subnet)}): ${(err as Error).message}`, statusCodeOf(err), { cause: err });
    }
  }
}

/** takenSubnets lists the IPv4 subnets of every Docker network, Berth's or not. */
async function takenSubnets(docker: DockerClient, signal?: AbortSignal): Promise<Cidr[]> {
  const networks = await listAllNetworks(docker, {}, signal);
  const taken: Cidr[] = [];
  for (const network of networks) {
    for (const config of network.IPAM?.Config ?? []) {
      try {
        if (config.Subnet && !config.Subnet.includes(":")) taken.push(parseCidr(config.Subnet));
      } catch {
        // A subnet we cannot read cannot be ours either; it is skipped.
      }
    }
  }
  return taken;
}

async function listAllNetworks(docker: DockerClient, filters: Record<string, string[]>, signal?: AbortSignal): Promise<Docker.NetworkInspectInfo[]> {
  try {
    return await docker.listNetworks({ filters, abortSignal: withTimeout(signal) } as Parameters<DockerClient["listNetworks"]>[0]);
  } catch (err) {
    throw new DockerError(`list networks: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/**
 * removeDuplicateNetworks keeps the oldest of several networks with one name. Docker's CheckDuplicate does not
 * stop two creates racing (two controllers, or two processes), and a name that matches two networks can no
 * longer be used to attach containers.
 */
async function removeDuplicateNetworks(docker: DockerClient, name: string, signal?: AbortSignal): Promise<void> {
  const found = (await listAllNetworks(docker, { name: [name] }, signal))
    .filter((n) => n.Name === name)
    .sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created) || a.Id.localeCompare(b.Id));
  for (const extra of found.slice(1)) {
    await docker.getNetwork(extra.Id).remove({ abortSignal: withTimeout(signal) }).catch(() => undefined);
  }
}

/** NamespaceNetwork is a Berth namespace network as found in Docker. */
export interface NamespaceNetwork {
  id: string;
  name: string;
  namespace: string;
  /** current: the network has the name this release gives the namespace (not a name of an earlier release). */
  current: boolean;
  labels: Record<string, string>;
}

/** listNamespaceNetworks returns every namespace network Berth made (by its labels), optionally of one namespace. */
export async function listNamespaceNetworks(docker: DockerClient, namespace?: string, signal?: AbortSignal): Promise<NamespaceNetwork[]> {
  const label = [`${LABELS.managed}=true`, `${LABELS.kind}=${NAMESPACE_NETWORK_KIND}`, ...(namespace ? [`${LABELS.namespace}=${namespace}`] : [])];
  const networks = await listAllNetworks(docker, { label }, signal);
  return networks
    .filter((n) => n.Name.startsWith(NAME_PREFIX) && n.Labels?.[LABELS.namespace])
    .map((n) => {
      const ns = n.Labels?.[LABELS.namespace] ?? "";
      return { id: n.Id, name: n.Name, namespace: ns, current: n.Name === namespaceNetworkName(ns), labels: n.Labels ?? {} };
    });
}

/**
 * removeNamespaceNetwork removes a namespace's network (by default the current one; `name` picks another of
 * its networks); missing is fine. One still in use (Docker answers 403 or 409) is left and false returned.
 */
export async function removeNamespaceNetwork(docker: DockerClient, namespace: string, signal?: AbortSignal, name: string = namespaceNetworkName(namespace)): Promise<boolean> {
  try {
    await docker.getNetwork(name).remove({ abortSignal: withTimeout(signal) });
    return true;
  } catch (err) {
    if (isNotFound(err) || isConflict(err) || statusCodeOf(err) === 403) return false;
    throw new DockerError(`remove network ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}
