import { ValidationError } from "../../../resources/errors.ts";

/**
 * BaseImages are the images generated Dockerfiles start from, one per stack. A machine without a registry
 * points them at images of its own (`berthd --build-base-images node=IMAGE,...`).
 */
export interface BaseImages {
  /** node runs Node.js apps and builds static sites that have a `build` script (needs `node` and `npm`). */
  node: string;
  /** python runs Python apps (needs `python3` with the `venv` module). */
  python: string;
  /** go compiles Go apps (needs `go`, and `/etc/ssl/certs/ca-certificates.crt`, copied into the runtime image). */
  go: string;
  /** goRuntime runs the compiled Go binary: a small image with a libc and `/bin/sh`. */
  goRuntime: string;
  /** static serves static sites: an nginx image, or a busybox image (its `httpd`) when the reference names busybox. */
  static: string;
}

/** DEFAULT_BASE_IMAGES are the official images of each stack. */
export const DEFAULT_BASE_IMAGES: Readonly<BaseImages> = Object.freeze({
  node: "node:22-slim",
  python: "python:3.12-slim",
  go: "golang:1.23",
  goRuntime: "debian:bookworm-slim",
  static: "nginx:1.27",
});

/** BASE_IMAGE_KEYS maps the keys of `--build-base-images` to the fields of BaseImages. */
const BASE_IMAGE_KEYS: Readonly<Record<string, keyof BaseImages>> = {
  node: "node",
  python: "python",
  go: "go",
  "go-runtime": "goRuntime",
  static: "static",
};

/** BASE_IMAGES_PATTERN is the shape of `--build-base-images` (`node=IMAGE,python=IMAGE,...`), for config validation. */
export const BASE_IMAGES_PATTERN = /^(node|python|go|go-runtime|static)=[^\s,=]+(,(node|python|go|go-runtime|static)=[^\s,=]+)*$/;

/**
 * parseBaseImages reads `node=IMAGE,python=IMAGE,go=IMAGE,go-runtime=IMAGE,static=IMAGE` (any subset, in any
 * order) over the defaults. An unknown key or an empty image is a ValidationError naming `field`.
 */
export function parseBaseImages(text: string | undefined, field = "--build-base-images"): BaseImages {
  const images: BaseImages = { ...DEFAULT_BASE_IMAGES };
  if (text === undefined || text.trim() === "") return images;
  for (const pair of text.split(",")) {
    const [key = "", image = ""] = pair.split("=").map((s) => s.trim());
    const target = BASE_IMAGE_KEYS[key];
    if (!target) throw new ValidationError(`${field}: unknown stack "${key}" (known: ${Object.keys(BASE_IMAGE_KEYS).join(", ")})`, [{ field, message: `unknown stack "${key}"` }]);
    if (!image || /\s/.test(image)) throw new ValidationError(`${field}: ${key} needs an image reference`, [{ field, message: `${key} needs an image reference` }]);
    images[target] = image;
  }
  return images;
}
