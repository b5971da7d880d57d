/** network removes namespace networks that no workload needs any more; see NetworkController. */
export { NetworkController, createNetworkController, namespaceKey, WORKLOAD_KINDS, type NetworkControllerOptions } from "./network-controller.ts";
