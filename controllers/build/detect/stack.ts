import type { BaseImages } from "./base-images.ts";
import type { StartCommand } from "./dockerfile-writer.ts";
import type { SourceDir } from "./source-dir.ts";

/** StackInput is what every stack's detector gets. */
export interface StackInput {
  dir: SourceDir;
  images: BaseImages;
  /** port the app should listen on ($PORT and EXPOSE). */
  port: number;
  /** start is the command that wins over detection: the App's override, else the Procfile's `web:` line. */
  start?: StartCommand;
}

/** DetectedBuild is a generated Dockerfile and the stack it was made for (`node`, `python`, `go`, `static`). */
export interface DetectedBuild {
  dockerfile: string;
  stack: string;
}
