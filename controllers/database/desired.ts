import { createHash } from "node:crypto";
import type { DatabaseSpec } from "../../resources/index.ts";
import { LABELS, objectName, ownerLabels, type ContainerSpec, type OwnerRef } from "../docker/index.ts";
import { parseCpu, parseMemory } from "../app/desired.ts";
import { canonicalJson } from "../app/desired.ts";
import type { Credentials, EngineProfile } from "./engines.ts";

/** DATABASE_LABELS are the labels the Database controller adds to Berth's own (controllers/docker/labels.ts). */
export const DATABASE_LABELS = {
  /** uid is the Database object's uid: a container of an earlier Database of the same name is replaced. */
  uid: "berth.dev/uid",
  engine: "berth.dev/engine",
  /** credentials is a short one-way hash of the credentials the container was given: a change means telling the engine. */
  credentials: "berth.dev/credentials-hash",
  /** engineMajor, on the data volume, is the engine major version the data was initialised with. */
  engineMajor: "berth.dev/engine-major",
} as const;

/** containerNameOf is the Database's container: `berth-<ns>-<name>-<hash6>`. */
export function containerNameOf(ref: OwnerRef): string {
  return objectName(ref);
}

/** defaultVolumeName is the data volume when `spec.storage.volume` does not name one. */
export function defaultVolumeName(ref: OwnerRef): string {
  return objectName(ref, "data");
}

/** DesiredInput is what the container of a Database is made from. */
export interface DesiredInput {
  ref: OwnerRef;
  uid: string;
  spec: DatabaseSpec;
  profile: EngineProfile;
  image: string;
  credentials: Credentials;
  network: string;
  volume: string;
  instance: string;
}

/**
 * buildDatabaseContainer is the Docker create request of a Database: the engine's image with its
 * environment contract (credentials only as `*_FILE` paths), the data volume, limits, the namespace network
 * with the Database's name as alias (Apps reach it at host `<name>`), and the host port when exposed. Docker
 * does not restart it: the controller does, so a crash loop is seen and reported.
 */
export function buildDatabaseContainer(input: DesiredInput): { spec: ContainerSpec; hash: string } {
  const { ref, spec, profile, network } = input;
  const port = `${profile.port}/tcp`;
  const body = {
    Image: input.image,
    Env: profile.env(input.credentials),
    ...(profile.cmd ? { Cmd: profile.cmd } : {}),
    Hostname: ref.name,
    ExposedPorts: { [port]: {} },
    HostConfig: {
      NetworkMode: network,
      RestartPolicy: { Name: "no" },
      ...(spec.resources?.cpu !== undefined ? { NanoCpus: Math.round(parseCpu(spec.resources.cpu) * 1e9) } : {}),
      ...(spec.resources?.memory !== undefined ? { Memory: parseMemory(spec.resources.memory) } : {}),
      Mounts: [{ Type: "volume" as const, Source: input.volume, Target: profile.dataPath }],
      ...(spec.expose ? { PortBindings: { [port]: [{ HostPort: String(spec.expose.port) }] } } : {}),
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [ref.name] } } },
  };
  // The credential files are part of what the container is: new passwords make a new container.
  const hash = createHash("sha256").update(canonicalJson(body)).update(canonicalJson(profile.files(input.credentials))).digest("hex").slice(0, 12);
  const labels = {
    ...ownerLabels(ref),
    [LABELS.instance]: input.instance,
    [LABELS.specHash]: hash,
    [DATABASE_LABELS.uid]: input.uid,
    [DATABASE_LABELS.engine]: profile.engine,
    [DATABASE_LABELS.credentials]: credentialsHash(input.credentials),
  };
  return { spec: { name: containerNameOf(ref), ...body, Labels: labels }, hash };
}

/** credentialsHash identifies a set of credentials without revealing them (12 hex digits of a sha256). */
export function credentialsHash(c: Credentials): string {
  return createHash("sha256").update(canonicalJson(c)).digest("hex").slice(0, 12);
}
