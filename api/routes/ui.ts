import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Request, Response } from "express";
import type { AppExtension } from "../app.ts";
import { noteRequest } from "../context.ts";

/** UI_DIR is where `npm run build` writes the bundled web UI (ui/build.mjs): `index.html` and `assets/`. */
export const UI_DIR = resolve(import.meta.dirname, "../../ui");

/**
 * UI_HEADERS go on the shell and every asset. The policy allows only the daemon's own scripts, styles and
 * connections: no inline script or style, no framing. The token travels in an Authorization header, never a
 * cookie, so the UI has no CSRF surface.
 */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

/** Asset is one file of the UI in memory, with its precompressed variants (ui/build.mjs writes `.br` and `.gz`). */
interface Asset {
  type: string;
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

/** loadAssets reads the built UI once; a daemon built without it answers 404 on the UI's paths. */
function loadAssets(dir: string): { shell?: Asset; assets: Map<string, Asset> } {
  const assets = new Map<string, Asset>();
  const read = (file: string): Asset | undefined => {
    try {
      const body = readFileSync(file);
      const type = TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream";
      const optional = (suffix: string) => {
        try {
          return readFileSync(file + suffix);
        } catch {
          return undefined;
        }
      };
      const br = optional(".br");
      const gzip = optional(".gz");
      return { type, body, ...(br ? { br } : {}), ...(gzip ? { gzip } : {}) };
    } catch {
      return undefined;
    }
  };
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, "assets"));
  } catch {
    // not built
  }
  for (const name of names) {
    if (name.endsWith(".br") || name.endsWith(".gz")) continue;
    const asset = read(join(dir, "assets", name));
    if (asset) assets.set(name, asset);
  }
  const shell = read(join(dir, "index.html"));
  return { ...(shell ? { shell } : {}), assets };
}

/** send writes an asset in the best encoding the client accepts. */
function send(req: Request, res: Response, asset: Asset, cacheControl: string): void {
  const accepted = String(req.headers["accept-encoding"] ?? "");
  const [encoding, body] = asset.br && /\bbr\b/.test(accepted) ? ["br", asset.br] : asset.gzip && /\bgzip\b/.test(accepted) ? ["gzip", asset.gzip] : [undefined, asset.body];
  res.writeHead(200, {
    ...UI_HEADERS,
    "Content-Type": asset.type,
    "Content-Length": body.length,
    "Cache-Control": cacheControl,
    Vary: "Accept-Encoding",
    ...(encoding ? { "Content-Encoding": encoding } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

function notFound(res: Response): void {
  res.writeHead(404, { ...UI_HEADERS, "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
}

/**
 * uiExtension serves the web UI on the API's listener (see AppExtension), and nothing else without a token:
 * `GET /` is the shell (revalidated on every load, so a new build is picked up) and `GET /ui/assets/<name>` the
 * bundled scripts and styles, whose names carry a hash of their content and so are cached for a year. Every
 * data call the UI makes goes to the API with the user's bearer token, under the same roles as the CLI.
 */
export function uiExtension(dir: string = UI_DIR): AppExtension {
  let loaded: ReturnType<typeof loadAssets> | undefined;
  const ui = () => (loaded ??= loadAssets(dir));
  return (app) => {
    app.get("/", (req, res) => {
      noteRequest(res, "get", "ui");
      const { shell } = ui();
      if (!shell) return notFound(res);
      send(req, res, shell, "no-cache");
    });
    app.get("/ui/assets/:name", (req, res) => {
      noteRequest(res, "get", "ui");
      const asset = ui().assets.get(String(req.params.name));
      if (!asset) return notFound(res);
      send(req, res, asset, "public, max-age=31536000, immutable");
    });
  };
}
