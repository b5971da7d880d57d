import type { Request } from "express";
import { BadRequestError } from "../../resources/index.ts";
import type { DeleteOptions } from "../../store/index.ts";
import { isDryRun, queryParam } from "../query.ts";

const POLICIES = ["Background", "Foreground", "Orphan"] as const;

/**
 * deleteOptionsOf reads Kubernetes DeleteOptions from the body (kubectl sends `{"propagationPolicy":"Background"}`)
 * or the query (`?propagationPolicy=Foreground&dryRun=All`). `gracePeriodSeconds` is accepted and ignored:
 * deletion is immediate unless finalizers hold the object.
 */
export function deleteOptionsOf(req: Request): DeleteOptions & { dryRun?: boolean } {
  const body = (typeof req.body === "object" && req.body !== null && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
  const policy = body.propagationPolicy ?? queryParam(req, "propagationPolicy");
  if (policy !== undefined && policy !== null && !POLICIES.includes(policy as (typeof POLICIES)[number]))
    throw new BadRequestError(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Background", "Foreground", "Orphan"`);
  const pre = body.preconditions as { uid?: unknown; resourceVersion?: unknown } | undefined;
  const preconditions = {
    ...(typeof pre?.uid === "string" && pre.uid !== "" ? { uid: pre.uid } : {}),
    ...(typeof pre?.resourceVersion === "string" && pre.resourceVersion !== "" ? { resourceVersion: pre.resourceVersion } : {}),
  };
  const bodyDryRun = Array.isArray(body.dryRun) && body.dryRun.includes("All");
  return {
    ...(typeof policy === "string" ? { propagationPolicy: policy as DeleteOptions["propagationPolicy"] & string } : {}),
    ...(Object.keys(preconditions).length > 0 ? { preconditions } : {}),
    ...(bodyDryRun || isDryRun(req) ? { dryRun: true } : {}),
  };
}
