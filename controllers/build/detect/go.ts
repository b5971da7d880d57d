import { DockerfileWriter, describeStart, header, portLines, type StartCommand } from "./dockerfile-writer.ts";
import type { SourceDir } from "./source-dir.ts";
import type { DetectedBuild, StackInput } from "./stack.ts";

const BINARY = "/usr/local/bin/app";

/** hasMain says whether a folder holds a `package main` Go file. */
async function hasMain(dir: SourceDir, folder: string): Promise<boolean> {
  for (const entry of await dir.entries(folder)) {
    if (!entry.endsWith(".go") || entry.endsWith("_test.go")) continue;
    if (/^\s*package\s+main\b/m.test((await dir.text(`${folder}/${entry}`)) ?? "")) return true;
  }
  return false;
}

/**
 * mainPackage is the package to build: the module root if it is `package main`, else the `cmd/<name>` named
 * after the module (or the only one, or the first).
 */
async function mainPackage(dir: SourceDir, module: string): Promise<string> {
  if (await hasMain(dir, ".")) return ".";
  const commands: string[] = [];
  for (const entry of await dir.entries("cmd")) if (await hasMain(dir, `cmd/${entry}`)) commands.push(entry);
  const preferred = commands.find((c) => c === module.split("/").pop()) ?? commands[0];
  return preferred ? `./cmd/${preferred}` : ".";
}

/**
 * detectGo recognises a Go module (go.mod) and builds it in two stages: the Go toolchain compiles a static
 * binary, and only that binary (with CA certificates) goes into the small runtime image.
 */
export async function detectGo(input: StackInput): Promise<DetectedBuild | undefined> {
  const { dir } = input;
  const goMod = await dir.text("go.mod");
  if (goMod === undefined) return undefined;
  const module = /^\s*module\s+(\S+)/m.exec(goMod)?.[1] ?? "app";
  const pkg = await mainPackage(dir, module);
  const vendored = await dir.isFile("vendor/modules.txt");
  const start: StartCommand = input.start ?? { kind: "exec", argv: [BINARY], origin: `the compiled binary (${pkg === "." ? "the module root" : pkg})` };
  const writer = header(new DockerfileWriter(), `a Go module (${module})`);
  writer.step("Build stage: the Go toolchain (berthd --build-base-images go=IMAGE).", `FROM ${input.images.go} AS build`);
  writer.add("WORKDIR /src");
  if (!vendored) {
    writer.step("Download modules before copying the sources, so that layer is reused until go.mod or go.sum change.", "COPY go.mod go.sum* ./");
    writer.add("RUN go mod download");
  }
  writer.step(vendored ? "The sources, with their vendor/ folder (no download needed)." : "Then the sources.", "COPY . .");
  writer.step(
    "A static binary (no cgo) runs on any Linux image; -trimpath and -s -w make it smaller and reproducible.",
    `RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ${pkg}`,
  );
  writer.blank();
  writer.step("Runtime stage: a small image without the toolchain (berthd --build-base-images go-runtime=IMAGE).", `FROM ${input.images.goRuntime}`);
  writer.step("CA certificates from the build stage, for the app's outgoing HTTPS.", "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt");
  writer.step("Only the binary.", `COPY --from=build /out/app ${BINARY}`);
  portLines(writer, input.port);
  writer.cmd(describeStart(start), start);
  return { dockerfile: writer.toString(), stack: "go" };
}
