import express, { type RequestHandler } from "express";
import { BadRequestError } from "../resources/index.ts";
import { lazyModule } from "../resources/lazy-module.ts";
import { UnsupportedMediaTypeError } from "./http-errors.ts";

/** BODY_LIMIT_BYTES (3 MiB) matches the Kubernetes API server's request size limit. */
export const BODY_LIMIT_BYTES = 3 * 1024 * 1024;

const JSON_TYPE = /^application\/(json|[-.a-z0-9]+\+json)$/;
const YAML_TYPES = new Set(["application/yaml", "application/x-yaml"]);
const APPLY_PATCH = "application/apply-patch+yaml";
/** yaml is loaded on the first YAML body: most clients (kubectl, the CLI) send JSON. */
const yaml = lazyModule<typeof import("yaml")>("yaml");

/** mediaTypeOf is the media type of a Content-Type header, lower-cased and without parameters ("" when absent). */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

/** isJsonType says whether a media type is parsed as JSON: `application/json` and every `application/*+json`. */
export function isJsonType(type: string): boolean {
  return JSON_TYPE.test(type);
}

/** parseBody turns raw bytes into the value routes see, by media type (see mediaTypeOf). */
export function parseBody(type: string, raw: Buffer): unknown {
  const text = raw.toString("utf8");
  if (JSON_TYPE.test(type)) {
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new BadRequestError(`the request body is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  if (type === APPLY_PATCH) return text;
  if (YAML_TYPES.has(type)) {
    try {
      return yaml().parse(text);
    } catch (cause) {
      throw new BadRequestError(`the request body is not valid YAML: ${(cause as Error).message.split("\n")[0]}`, { cause });
    }
  }
  throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format (${type || "no Content-Type"}) - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/json-patch+json, application/apply-patch+yaml`);
}

/**
 * bodyParsers read request bodies once, as bytes, then parse them by Content-Type: JSON for
 * `application/json` and every `application/*+json` (merge-patch, json-patch; strategic merge is refused
 * later with 415), YAML for `application/yaml`, and `application/apply-patch+yaml` kept as text for
 * server-side apply. Requests without a body are left alone. Unreadable JSON or YAML is 400.
 */
export function bodyParsers(): RequestHandler[] {
  return [
    express.raw({ type: () => true, limit: BODY_LIMIT_BYTES }),
    (req, _res, next) => {
      if (!Buffer.isBuffer(req.body)) {
        next();
        return;
      }
      const raw = req.body;
      req.body = undefined;
      if (raw.length === 0) {
        next();
        return;
      }
      const type = mediaTypeOf(req.headers["content-type"]);
      try {
        req.body = parseBody(type, raw);
        next();
      } catch (error) {
        next(error);
      }
    },
  ];
}
