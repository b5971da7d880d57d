/**
 * docker is Berth's small access layer over dockerode, shared by the controllers: the client from
 * `--docker-host`, ownership labels, namespace networks, volumes, images, containers and the event stream.
 * Every call takes an AbortSignal and is bounded by a timeout.
 */
export { createDockerClient, pingDocker, type DockerClient } from "./client.ts";
export { withTimeout, DEFAULT_CALL_TIMEOUT_MS } from "./signals.ts";
export { DockerError, DockerUnavailableError, ImageNotFoundError, ImagePullError, NameConflictError, isNotFound, isConflict, isStaleTask, statusCodeOf } from "./errors.ts";
export { NAME_PREFIX, objectName, ownerHash, legacyObjectName } from "./names.ts";
export { ownedBy, assertOwnedBy } from "./ownership.ts";
export { LABELS, LABEL_PREFIX, ownerLabels, ownerValue, parseOwner, ownerFilter, kindFilter, instanceFilter, type OwnerRef } from "./labels.ts";
export { ensureNamespaceNetwork, removeNamespaceNetwork, listNamespaceNetworks, NetworkPoolExhaustedError, NAMESPACE_NETWORK_KIND, type NamespaceNetwork } from "./networks.ts";
export { NamespaceNetworks } from "./namespace-networks.ts";
export { DEFAULT_NETWORK_POOL, parseAddressPool, type AddressPool } from "./address-pool.ts";
export { namespaceNetworkName } from "./names.ts";
export { ensureVolume, inspectVolume, listVolumes, removeVolume } from "./volumes.ts";
export { ensureImage, inspectImage, DEFAULT_PULL_TIMEOUT_MS, type RegistryAuth, type ImageRef } from "./images.ts";
export {
  listContainers, inspectContainer, createContainer, startContainer, removeContainer, tailLogs, demux,
  type ObservedContainer, type ContainerSpec, type ContainerState,
} from "./containers.ts";
export { DockerEventStream, type DockerEvent, type DockerEventStreamOptions } from "./events.ts";
