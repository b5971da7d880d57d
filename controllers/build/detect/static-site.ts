import { DockerfileWriter, header, portLines } from "./dockerfile-writer.ts";
import type { DetectedBuild, StackInput } from "./stack.ts";

/** BUILD_OUTPUT_DIRS are where common front-end tools write a built site (Vite, Create React App, Next export, ...). */
export const BUILD_OUTPUT_DIRS = ["dist", "build", "out", "public", "_site"] as const;

/** SiteSource says where the site's files come from: a folder of the context (`.` for all of it), or a build stage's folder. */
export type SiteSource = { from: "context"; path: string } | { from: "stage"; stage: string; path: string };

/** isBusybox says whether the static image is a busybox image (served by its `httpd`) rather than nginx. */
export function isBusybox(image: string): boolean {
  return (image.split("/").pop() ?? "").includes("busybox");
}

/**
 * serveStaticSite appends the stage that serves a site: nginx (with a server block on the App's port) or
 * busybox `httpd`, as the base image says. `spa` sends unknown paths to /index.html (client-side routing).
 */
export function serveStaticSite(writer: DockerfileWriter, image: string, port: number, source: SiteSource, spa: boolean): DockerfileWriter {
  const copy = (target: string) =>
    source.from === "context" ? `COPY ${source.path} ${target}` : `COPY --from=${source.stage} ${source.path} ${target}`;
  const what = source.from === "stage"
    ? "Copy only the built site from the build stage: the final image has no Node.js and no sources."
    : source.path === "." ? "Copy the site into the server's document root." : `Copy the site (${source.path}, built before it was committed) into the server's document root.`;
  if (isBusybox(image)) {
    writer.step("A busybox image serves the files with its small httpd.", `FROM ${image}`);
    writer.step(what, copy("/www"));
    portLines(writer, port);
    return writer.cmd("httpd in the foreground (-f), logging requests (-v), serving /www.", { kind: "exec", argv: ["httpd", "-f", "-v", "-p", String(port), "-h", "/www"], origin: "httpd" });
  }
  const fallback = spa ? "/index.html" : "=404";
  const conf = `server {\\n  listen ${port};\\n  root /usr/share/nginx/html;\\n  index index.html;\\n  location / { try_files $uri $uri/ ${fallback}; }\\n}\\n`;
  writer.step("nginx serves the files.", `FROM ${image}`);
  writer.step(
    `Listen on the App's port rather than nginx's default 80${spa ? "; unknown paths get /index.html so client-side routes load" : ""}.`,
    `RUN printf '${conf}' > /etc/nginx/conf.d/default.conf`,
  );
  writer.step(what, copy("/usr/share/nginx/html"));
  portLines(writer, port);
  return writer.cmd("Run nginx in the foreground so the container lives as long as it does.", { kind: "exec", argv: ["nginx", "-g", "daemon off;"], origin: "nginx" });
}

/**
 * detectStaticSite recognises a site with nothing to build: an `index.html` at the top of the context, or in a
 * committed build output folder (`dist/`, `build/`, ...) when the context has no package.json to build it with.
 */
export async function detectStaticSite(input: StackInput): Promise<DetectedBuild | undefined> {
  let folder: string | undefined = (await input.dir.isFile("index.html")) ? "." : undefined;
  for (const dir of BUILD_OUTPUT_DIRS) if (!folder && (await input.dir.isFile(`${dir}/index.html`))) folder = `${dir}/`;
  if (!folder) return undefined;
  const writer = header(new DockerfileWriter(), `a static site (${folder === "." ? "index.html" : `${folder}index.html`}, nothing to build)`);
  serveStaticSite(writer, input.images.static, input.port, { from: "context", path: folder }, false);
  return { dockerfile: writer.toString(), stack: "static" };
}
