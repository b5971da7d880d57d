/** gc is the garbage collector: cascading deletion through ownerReferences (Background, Foreground, Orphan). */
export { GarbageCollector, createGarbageCollector, OWNER_INDEX, type GarbageCollectorOptions } from "./garbage-collector.ts";
export { classifyOwners, stripOwners, ownerUids, ownerKey, blocksOwner, type OwnerState, type ClassifiedOwner } from "./owners.ts";
