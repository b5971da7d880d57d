import { Router } from "express";
import { API_GROUP, API_VERSION, NotFoundError, jsonSchemas, kinds } from "../../resources/index.ts";
import { noteRequest } from "../context.ts";
import { sendJson } from "../respond.ts";

const VERSION = API_VERSION.split("/")[1]!;
const GROUP_VERSION = { groupVersion: API_VERSION, version: VERSION };
const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** apiGroup is the APIGroup document of berth.dev. */
const apiGroup = { kind: "APIGroup", apiVersion: "v1", name: API_GROUP, versions: [GROUP_VERSION], preferredVersion: GROUP_VERSION };

/**
 * apiResourceList is the discovery document kubectl caches (`~/.kube/cache/discovery`): every kind is
 * namespaced, has its plural, singular, short names and the categories `all` and `berth`, and a `/status`
 * subresource. Names and scope must never change casually: kubectl keeps using a cached copy.
 */
function apiResourceList() {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: API_VERSION,
    resources: kinds.flatMap((k) => [
      { name: k.plural, singularName: k.singular, namespaced: true, kind: k.kind, verbs: VERBS, shortNames: [...k.shortNames], categories: ["all", "berth"] },
      { name: `${k.plural}/status`, singularName: "", namespaced: true, kind: k.kind, verbs: ["get", "patch", "update"] },
    ]),
  };
}

/** coreResourceList serves core/v1 discovery with only `events`, so `kubectl get events` works against Berth. */
const coreResourceList = {
  kind: "APIResourceList",
  groupVersion: "v1",
  resources: [{ name: "events", singularName: "event", namespaced: true, kind: "Event", verbs: ["list", "watch"], shortNames: ["ev"] }],
};

/** serverVersion answers `kubectl version`; it claims 1.20, the kubectl release Berth is tested with. */
function serverVersion(berthVersion: string) {
  return {
    major: "1", minor: "20", gitVersion: `v1.20.0-berth.${berthVersion}`, gitCommit: "", gitTreeState: "clean",
    buildDate: "", goVersion: `node${process.versions.node}`, compiler: "tsc", platform: `${process.platform}/${process.arch}`,
  };
}

/** discoveryRoutes: `/api`, `/api/v1`, `/apis`, `/apis/berth.dev`, `/apis/berth.dev/v1`, `/version` and the OpenAPI documents. */
export function discoveryRoutes(berthVersion: string): Router {
  const router = Router();
  const serve = (path: string, body: () => unknown) =>
    router.get(path, (_req, res) => {
      noteRequest(res, "get", "discovery");
      sendJson(res, body());
    });
  serve("/api", () => ({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "" }] }));
  serve("/api/v1", () => coreResourceList);
  serve("/apis", () => ({ kind: "APIGroupList", apiVersion: "v1", groups: [apiGroup] }));
  serve(`/apis/${API_GROUP}`, () => apiGroup);
  serve(`/apis/${API_VERSION}`, apiResourceList);
  serve("/version", () => serverVersion(berthVersion));
  let schemas: unknown;
  serve("/openapi/berth.json", () => (schemas ??= jsonSchemas()));
  // kubectl's client-side validation downloads /openapi/v2 before apply: zero bytes are a valid, empty protobuf
  // Document, so validation passes for kinds it does not know. A JSON document here breaks kubectl 1.20.
  router.get("/openapi/v2", (_req, res) => {
    noteRequest(res, "get", "openapi");
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": 0 }).end();
  });
  router.get("/openapi/v3", (_req, res) => {
    noteRequest(res, "get", "openapi");
    throw new NotFoundError("the server could not find the requested resource");
  });
  return router;
}
