/**
 * database is the Database controller: engines run from their official images, credentials generated into an
 * owned Secret and handed over as files, data on a volume that outlives the container, readiness by the
 * engine's own client, drift repair, and cleanup per `deletionPolicy`.
 */
export { DatabaseController, createDatabaseController, DATABASE_FINALIZER, type DatabaseControllerOptions } from "./database-controller.ts";
export { ENGINES, ENGINE_UID, SECRETS_DIR, imageOf, majorOf, type Engine, type EngineProfile, type Credentials, type ReadinessCheck } from "./engines.ts";
export { ensureCredentials, releaseCredentials, credentialsSecretName, generatePassword, CREDENTIALS_LABEL, CredentialsProblem } from "./credentials.ts";
export { buildDatabaseContainer, containerNameOf, defaultVolumeName, DATABASE_LABELS } from "./desired.ts";
export { execIn, type ExecResult } from "./exec.ts";
