/**
 * Every verb of the CLI, loaded together once the command line is parsed. The verbs are small; what is heavy
 * (yaml for manifests and `-o yaml`, the kinds' schemas for `diff` and `apply --dry-run=client`) each verb
 * imports itself when it needs it. Bundled (cli/build.mjs), this module and what it imports are one file.
 */
export { runApply } from "./apply.ts";
export { runAudit } from "./audit.ts";
export { runBackupList, runBackupRun, runRestore } from "./backup.ts";
export { runDelete } from "./delete.ts";
export { runDescribe } from "./describe.ts";
export { runDiff } from "./diff.ts";
export { runEvents } from "./events.ts";
export { runGet } from "./get.ts";
export { runLogs } from "./logs.ts";
export { runRolloutCancel } from "./rollout-cancel.ts";
export { runRolloutHistory, runRolloutStatus, runRolloutUndo } from "./rollout.ts";
export { runTokenCreate, runTokenList, runTokenRevoke } from "./token.ts";
export { runVersion } from "./version.ts";
export { runWait } from "./wait.ts";
