import { DetectionError } from "./errors.ts";
import { DockerfileWriter, describeStart, header, portLines, type StartCommand } from "./dockerfile-writer.ts";
import { choosePackageManager, type PackageJson, type PackageManager } from "./node-package-manager.ts";
import { BUILD_OUTPUT_DIRS, serveStaticSite } from "./static-site.ts";
import type { SourceDir } from "./source-dir.ts";
import type { DetectedBuild, StackInput } from "./stack.ts";

/** SERVER_FILES are entry points run with `node` when package.json names none. */
const SERVER_FILES = ["server.js", "index.js", "app.js", "main.js", "server.mjs", "index.mjs"];

/** DEV_SERVERS are start scripts that run a development server, not the app: such a project is a site to build. */
const DEV_SERVERS = /^\s*(react-scripts start|vite(\s|$)|vue-cli-service serve|ng serve|parcel(\s|$)|webpack(-dev-server| serve)|astro dev)/;

/** CONFIG_FILES are read by installs and copied with the lockfile when present. */
const CONFIG_FILES = [".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml"];

function script(pkg: PackageJson, name: string): string | undefined {
  const value = pkg.scripts?.[name];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** nodeStart is the app's command: package.json's start script, its main, or a usual server file. */
async function nodeStart(dir: SourceDir, pkg: PackageJson, pm: PackageManager): Promise<StartCommand | undefined> {
  const start = script(pkg, "start");
  if (start && !DEV_SERVERS.test(start)) return { kind: "exec", argv: pm.run("start"), origin: "package.json's start script" };
  // A main that the build script makes (dist/server.js from TypeScript) is not there before the build.
  if (typeof pkg.main === "string" && ((await dir.isFile(pkg.main)) || script(pkg, "build")))
    return { kind: "exec", argv: ["node", pkg.main], origin: "package.json's main" };
  const file = await dir.firstFile(SERVER_FILES);
  return file ? { kind: "exec", argv: ["node", file], origin: `${file}, the usual entry point` } : undefined;
}

/** installSteps copy what the install reads, then install: a change to the sources alone reuses the dependency layer. */
async function installSteps(writer: DockerfileWriter, dir: SourceDir, pkg: PackageJson, pm: PackageManager): Promise<void> {
  if (pm.setup) writer.step(pm.setup.why, `RUN ${pm.setup.run}`);
  // Workspaces need every package.json, and install scripts may run project files: then everything goes in first.
  const whole = pkg.workspaces !== undefined || (await dir.isFile("pnpm-workspace.yaml")) || script(pkg, "postinstall") || script(pkg, "preinstall") || script(pkg, "prepare");
  if (whole) {
    writer.step("Install scripts or workspaces need the whole project before dependencies are installed.", "COPY . .");
  } else {
    const files = ["package.json", ...(pm.lockfile ? [pm.lockfile] : [])];
    for (const file of CONFIG_FILES) if (await dir.isFile(file)) files.push(file);
    writer.step("Copy only the manifests first, so the dependency layer is rebuilt only when they change.", `COPY ${files.join(" ")} ./`);
  }
  writer.step(
    `Install dependencies with ${pm.name}${pm.lockfile ? `, exactly as ${pm.lockfile} pins them` : " (no lockfile: versions are resolved now)"}; devDependencies too, for the build.`,
    `RUN ${pm.install}`,
  );
  if (!whole) writer.step("Then the sources.", "COPY . .");
}

/**
 * detectNode recognises a Node.js project (package.json). With a start command it builds an image that runs
 * it; without one, a project with a `build` script (or one whose start script only runs a dev server) is a
 * static site, built here and served by the static image. Neither → DetectionError.
 */
export async function detectNode(input: StackInput): Promise<DetectedBuild | undefined> {
  const pkg = (await input.dir.json("package.json")) as PackageJson | undefined;
  if (pkg === undefined) return undefined;
  if (typeof pkg !== "object" || pkg === null || Array.isArray(pkg)) throw new DetectionError("package.json is not a JSON object");
  const pm = await choosePackageManager(input.dir, pkg);
  const build = script(pkg, "build");
  const start = input.start ?? (await nodeStart(input.dir, pkg, pm));
  if (!start && build) return nodeStaticSite(input, pkg, pm);
  if (!start) throw new DetectionError("package.json has no start script and no main, and no server.js or index.js exists: add a start script, a Procfile with a web: line, or a Dockerfile");
  const writer = header(new DockerfileWriter(), `a Node.js app (${pm.name}${pm.lockfile ? `, ${pm.lockfile}` : ""})`);
  writer.step("The Node.js base image (berthd --build-base-images node=IMAGE).", `FROM ${input.images.node}`);
  writer.step("Everything happens in /app.", "WORKDIR /app");
  await installSteps(writer, input.dir, pkg, pm);
  if (build) writer.step("package.json has a build script: run it.", `RUN ${pm.run("build").join(" ")}`);
  writer.step("Set only now: with NODE_ENV=production during the install, devDependencies would be skipped.", "ENV NODE_ENV=production");
  portLines(writer, input.port);
  writer.cmd(describeStart(start), start);
  return { dockerfile: writer.toString(), stack: "node" };
}

/** nodeStaticSite builds the site with the project's build script and serves whichever output folder it made. */
async function nodeStaticSite(input: StackInput, pkg: PackageJson, pm: PackageManager): Promise<DetectedBuild> {
  const writer = header(new DockerfileWriter(), `a static site built by Node.js (${pm.name} run build)`);
  writer.step("Build stage: Node.js runs the project's build script.", `FROM ${input.images.node} AS build`);
  writer.add("WORKDIR /app");
  await installSteps(writer, input.dir, pkg, pm);
  writer.step("package.json has a build script and no server: the build makes the site.", `RUN ${pm.run("build").join(" ")}`);
  const dirs = BUILD_OUTPUT_DIRS.join(" ");
  writer.step(
    `Take the first of ${BUILD_OUTPUT_DIRS.join(", ")} that holds an index.html (where Vite, Create React App, Next export and others write the site).`,
    `RUN for d in ${dirs}; do if [ -f "$d/index.html" ]; then cp -r "$d" /site && exit 0; fi; done; echo "the build made no ${BUILD_OUTPUT_DIRS.join("/, ")}/ with an index.html" >&2; exit 1`,
  );
  writer.blank();
  serveStaticSite(writer, input.images.static, input.port, { from: "stage", stage: "build", path: "/site/" }, true);
  return { dockerfile: writer.toString(), stack: "static" };
}
