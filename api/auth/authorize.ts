import { ForbiddenError } from "../http-errors.ts";
import { ROLES, type Identity, type Role } from "./token-store.ts";

/** Verb is a Kubernetes API verb; routes name theirs so authorization and metrics share one vocabulary. */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

const READ_VERBS: readonly Verb[] = ["get", "list", "watch"];

/** ALL_NAMESPACES is the binding namespace that grants a role everywhere. */
export const ALL_NAMESPACES = "*";

function rank(role: Role | undefined): number {
  return role === undefined ? -1 : ROLES.indexOf(role);
}

/** roleIn is the strongest role an identity holds in a namespace (its own bindings plus `*` ones). */
export function roleIn(identity: Identity, namespace: string): Role | undefined {
  let best: Role | undefined;
  for (const b of identity.bindings) if ((b.namespace === namespace || b.namespace === ALL_NAMESPACES) && rank(b.role) > rank(best)) best = b.role;
  return best;
}

/** clusterRole is the strongest role an identity holds in every namespace (its `*` bindings only). */
export function clusterRole(identity: Identity): Role | undefined {
  return roleIn(identity, ALL_NAMESPACES);
}

/** allows says whether a role permits a verb: viewers read, deployers and admins also write. */
export function allows(role: Role | undefined, verb: Verb): boolean {
  if (role === undefined) return false;
  return READ_VERBS.includes(verb) || rank(role) >= rank("deployer");
}

/** canReadNamespace says whether an identity may see objects and events of a namespace. */
export function canReadNamespace(identity: Identity, namespace: string): boolean {
  return roleIn(identity, namespace) !== undefined;
}

/** canReadSecretValues: only admins see Secret `data` values; everyone else gets the keys with empty values. */
export function canReadSecretValues(identity: Identity, namespace: string): boolean {
  return roleIn(identity, namespace) === "admin";
}

/** isAuthorized is authorize's decision without the error: see authorize for the rules. */
export function isAuthorized(identity: Identity, verb: Verb, namespace: string | undefined): boolean {
  return namespace === undefined
    ? READ_VERBS.includes(verb) ? identity.bindings.length > 0 : allows(clusterRole(identity), verb)
    : allows(roleIn(identity, namespace), verb);
}

/**
 * authorize throws ForbiddenError unless the identity may do `verb` on `resource` in `namespace`. Without a
 * namespace (cluster-wide requests): reads need any binding (results are then narrowed to the namespaces the
 * token can read, see canReadNamespace); writes need a `*` binding with the role.
 */
export function authorize(identity: Identity, verb: Verb, resource: string, namespace: string | undefined): void {
  if (isAuthorized(identity, verb, namespace)) return;
  const where = namespace === undefined ? "at the cluster scope" : `in the namespace "${namespace}"`;
  throw new ForbiddenError(`${resource} is forbidden: User "${identity.name}" cannot ${verb} resource "${resource.split(".")[0]}" in API group "berth.dev" ${where}`);
}

/** requireAdmin throws ForbiddenError unless the identity is admin in every namespace (token management). */
export function requireAdmin(identity: Identity, what: string): void {
  if (clusterRole(identity) !== "admin") throw new ForbiddenError(`${what} is forbidden: User "${identity.name}" is not an admin of every namespace`);
}
