/** resources is the single source of truth for Berth's kinds: schemas, admission, and their metadata. */
export * from "./errors.ts";
export * from "./meta.ts";
export * from "./define-kind.ts";
export * from "./registry.ts";
export { appKind, appSpec, databaseKeys, type AppSpec } from "./app.ts";
export { databaseKind, databaseSpec, databaseEngines, defaultPorts, type DatabaseSpec } from "./database.ts";
export { domainKind, domainSpec, type DomainSpec } from "./domain.ts";
export { backupKind, backupSpec, backupRun, backupSnapshot, restoreRun, type BackupSpec, type BackupRun, type BackupSnapshot, type RestoreRun } from "./backup.ts";
export { buildKind, buildSpec, buildPhases, TERMINAL_PHASES, type BuildSpec, type BuildPhase } from "./build.ts";
export { secretKind, foldStringData, secretValue } from "./secret.ts";
export { jsonSchemas } from "./openapi.ts";
