import express, { type RequestHandler } from "express";
import { parse as parseYaml } from "yaml";
import { BadRequestError } from "../resources/index.ts";
import { UnsupportedMediaTypeError } from "./http-errors.ts";

/** BODY_LIMIT matches the Kubernetes API server's request size limit. */
const BODY_LIMIT = "3mb";

const JSON_TYPE = /^application\/(json|[-.a-z0-9]+\+json)$/;
const YAML_TYPES = new Set(["application/yaml", "application/x-yaml"]);
const APPLY_PATCH = "application/apply-patch+yaml";

/** parseBody turns raw bytes into the value routes see, by Content-Type. */
function parseBody(type: string, raw: Buffer): unknown {
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
      return parseYaml(text);
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
    express.raw({ type: () => true, limit: BODY_LIMIT }),
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
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      try {
        req.body = parseBody(type, raw);
        next();
      } catch (error) {
        next(error);
      }
    },
  ];
}
