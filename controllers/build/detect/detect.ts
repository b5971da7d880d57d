import type { BaseImages } from "./base-images.ts";
import type { StartCommand } from "./dockerfile-writer.ts";
import { detectGo } from "./go.ts";
import { detectNode } from "./node.ts";
import { procfileWebCommand } from "./procfile.ts";
import { detectPython } from "./python.ts";
import { SourceDir } from "./source-dir.ts";
import type { DetectedBuild, StackInput } from "./stack.ts";
import { detectStaticSite } from "./static-site.ts";

/** DEFAULT_PORT is the port a detected app is told to listen on ($PORT) when the App names none. */
export const DEFAULT_PORT = 8080;

/** DetectOptions tune detection; only the base images are required. */
export interface DetectOptions {
  /** baseImages are the images each stack starts from (see parseBaseImages). */
  baseImages: BaseImages;
  /** command is the App's start-command override (its spec.command and spec.args joined): it wins over everything. */
  command?: readonly string[];
  /** port is the App's spec.port: the app gets it as $PORT (default 8080). */
  port?: number;
}

/**
 * STACKS are tried in order, the first match wins. Go and Python come before Node because their projects often
 * carry a package.json for front-end assets, while Node projects rarely carry go.mod or requirements.txt;
 * a bare index.html is the last resort.
 */
const STACKS: ReadonlyArray<(input: StackInput) => Promise<DetectedBuild | undefined>> = [detectGo, detectPython, detectNode, detectStaticSite];

/**
 * detectDockerfile generates a Dockerfile for a build context that has none: Go (go.mod), Python
 * (requirements.txt or pyproject.toml), Node.js (package.json; npm, yarn or pnpm as the lockfile says) or a
 * static site (index.html, or a Node project whose build makes one). The start command is, in this order, the
 * App's override (`options.command`), the Procfile's `web:` line, then what the stack suggests. Resolves to
 * undefined when no stack is recognised; throws DetectionError when one is but lacks what it needs to start.
 */
export async function detectDockerfile(contextDir: string, options: DetectOptions): Promise<DetectedBuild | undefined> {
  const dir = new SourceDir(contextDir);
  const procfile = await procfileWebCommand(dir);
  let start: StartCommand | undefined;
  if (options.command && options.command.length > 0) start = { kind: "exec", argv: [...options.command], origin: "the App's command" };
  else if (procfile) start = { kind: "shell", line: procfile, origin: "the Procfile's web: line" };
  const input: StackInput = { dir, images: options.baseImages, port: options.port ?? DEFAULT_PORT, ...(start ? { start } : {}) };
  for (const stack of STACKS) {
    const detected = await stack(input);
    if (detected) return detected;
  }
  return undefined;
}
