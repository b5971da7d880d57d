/**
 * detect generates a readable Dockerfile for a build context without one: Node.js, Python, Go and static
 * sites, from base images the daemon can be told to use (`--build-base-images`).
 */
export { detectDockerfile, DEFAULT_PORT, type DetectOptions } from "./detect.ts";
export { DEFAULT_BASE_IMAGES, BASE_IMAGES_PATTERN, parseBaseImages, type BaseImages } from "./base-images.ts";
export { DetectionError } from "./errors.ts";
export type { DetectedBuild } from "./stack.ts";
