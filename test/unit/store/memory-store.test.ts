import { MemoryStore } from "../../../store/index.ts";
import { storeContract } from "./contract.ts";

storeContract("MemoryStore", (options) => MemoryStore.open(undefined, options));
