import { ImageNotFoundError, ImagePullError, ensureImage, LABELS, type RegistryAuth } from "../docker/index.ts";
import { rfc3339 } from "../../store/index.ts";
import type { AppDeps } from "./deps.ts";
import { specHash, templateOf } from "./desired.ts";
import { readSecretKey, resolveEnv } from "./env.ts";
import { probeSpecOf } from "./health.ts";
import type { Pass, Target } from "./pass.ts";
import { recordRevision, revisionFor } from "./revisions.ts";
import { latestBuildImage } from "../build/select.ts";

/**
 * resolveTarget decides which revision the App converges to: the spec's (a paused App keeps its current
 * revision), with env resolved and a revision number, recorded in the history. When the env cannot be
 * resolved, the current revision stays the target and no replica can be created until it can.
 */
export async function resolveTarget(deps: AppDeps, pass: Pass): Promise<void> {
  const currentRevision = pass.app.status?.revision as number | undefined;
  const current = pass.history.find((h) => h.revision === currentRevision);
  const pinned = pass.spec.paused ? current : undefined;
  if (pass.spec.paused && !pinned) {
    pass.blocked = { reason: "DeploymentPaused", message: "the App is paused before its first rollout" };
    return;
  }
  const built = pass.spec.build && !pinned ? await latestBuildImage(deps.store, pass.app) : undefined;
  if (built && !built.ready) {
    // Nothing built yet (or the newest build failed with none before it): whatever runs keeps running.
    pass.blocked = { reason: built.reason, message: built.message };
    if (current) pass.target = { revision: current.revision, hash: current.specHash, template: current.template, image: current.image, probe: probeSpecOf(current.template), canCreate: false };
    return;
  }
  const template = pinned?.template ?? (built ? { ...templateOf(pass.spec), image: built.image } : templateOf(pass.spec));
  const env = await resolveEnv(deps.store, deps.databases, pass.ref.namespace, template.env, pass.signal);
  if (!env.ready) {
    pass.blocked = { reason: env.reason, message: env.message };
    pass.requeue(10_000);
    if (current) pass.target = { revision: current.revision, hash: current.specHash, template: current.template, image: current.image, probe: probeSpecOf(current.template), canCreate: false };
    return;
  }
  const hash = pinned?.specHash ?? specHash(template, env.env);
  const onContainers = new Map(pass.containers.map((c) => [c.labels[LABELS.specHash] ?? "", Number(c.labels[LABELS.revision])] as const).filter(([h, r]) => h !== "" && Number.isInteger(r)));
  const revision = revisionFor(hash, pass.history, onContainers);
  const image = template.image!;
  const source = built ? { build: { name: built.build, commit: built.commit } } : pinned?.build ? { build: pinned.build } : {};
  const history = recordRevision(pass.history, { revision, image, specHash: hash, template, ...source }, currentRevision, rfc3339(pass.ctx.now()), pass.spec.revisionHistoryLimit);
  if (!pass.history.some((h) => h.revision === revision)) pass.event("Normal", "RevisionCreated", `revision ${revision}: image ${image}`);
  pass.history.splice(0, pass.history.length, ...history);
  pass.target = { revision, hash, template, env: env.env, image, probe: probeSpecOf(template), canCreate: true };
}

/**
 * ensureTargetImage makes sure the target's image is present (pulled with the App's registry credentials
 * when needed). A failed pull blocks new replicas, keeps the old ones serving, and is retried with backoff.
 */
export async function ensureTargetImage(deps: AppDeps, pass: Pass): Promise<void> {
  const target = pass.target;
  if (!target?.canCreate) return;
  try {
    const auth = await registryAuth(deps, pass);
    const resolved = await ensureImage(deps.docker, target.image, { ...(auth ? { auth } : {}), signal: pass.signal });
    target.imageId = resolved.id;
    deps.pullBackoff.forget(pass.key);
  } catch (err) {
    if (!(err instanceof ImageNotFoundError || err instanceof ImagePullError)) throw err;
    target.canCreate = false;
    const reason = err instanceof ImageNotFoundError ? "ImageNotFound" : "ImagePullFailed";
    pass.blocked = { reason, message: err.message };
    pass.event("Warning", reason, err.message);
    pass.requeue(deps.pullBackoff.when(pass.key));
  }
}

async function registryAuth(deps: AppDeps, pass: Pass): Promise<RegistryAuth | undefined> {
  const ref = pass.spec.imagePullSecretRef;
  if (!ref) return undefined;
  const read = (key: string) => readSecretKey(deps.store, pass.ref.namespace, ref.name, key);
  const [username, password, server] = await Promise.all([read("username"), read("password"), read("server")]);
  if (username === undefined || password === undefined) throw new ImagePullError(pass.spec.image ?? "", `Secret ${ref.name} needs keys username and password for image pulls`);
  return { username, password, ...(server ? { serveraddress: server } : {}) };
}
