import type { SourceDir } from "./source-dir.ts";

/** PackageManager is how a Node project installs its dependencies and runs its scripts. */
export interface PackageManager {
  name: "npm" | "yarn" | "pnpm";
  /** lockfile is the lockfile that chose this manager, if any. */
  lockfile?: string;
  /** setup installs the manager itself when the base image lacks it. */
  setup?: { why: string; run: string };
  /** install installs every dependency, devDependencies included (a build script may need them). */
  install: string;
  /** run runs a package.json script. */
  run(script: string): string[];
}

/** PackageJson is the part of package.json detection reads. */
export interface PackageJson {
  main?: unknown;
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  packageManager?: unknown;
  workspaces?: unknown;
}

/** declaredVersion reads `"packageManager": "pnpm@9.12.0+sha512..."` for one manager. */
function declaredVersion(pkg: PackageJson, name: string): string | undefined {
  if (typeof pkg.packageManager !== "string") return undefined;
  const match = new RegExp(`^${name}@([0-9][^+\\s]*)`).exec(pkg.packageManager);
  return match?.[1];
}

/**
 * choosePackageManager picks the manager from the lockfile (pnpm-lock.yaml → pnpm, yarn.lock → yarn,
 * package-lock.json or npm-shrinkwrap.json → npm; none → npm without a lockfile), as each project's
 * maintainers chose it: installing with another manager would ignore their pinned versions.
 */
export async function choosePackageManager(dir: SourceDir, pkg: PackageJson): Promise<PackageManager> {
  if (await dir.isFile("pnpm-lock.yaml")) {
    const version = declaredVersion(pkg, "pnpm") ?? "9";
    return {
      name: "pnpm",
      lockfile: "pnpm-lock.yaml",
      setup: { why: `pnpm ${version} (package.json's packageManager, or the current major) from the npm registry.`, run: `npm install -g pnpm@${version}` },
      install: "pnpm install --frozen-lockfile",
      run: (script) => ["pnpm", "run", script],
    };
  }
  if (await dir.isFile("yarn.lock")) {
    const version = declaredVersion(pkg, "yarn");
    const berry = version !== undefined && !version.startsWith("1.");
    return {
      name: "yarn",
      lockfile: "yarn.lock",
      setup: berry
        ? { why: `Yarn ${version} comes through corepack, which reads package.json's packageManager.`, run: "npm install -g --force corepack && corepack enable" }
        : { why: "Yarn 1 (official Node images ship it; others get it from the npm registry).", run: "command -v yarn >/dev/null || npm install -g yarn@1" },
      install: berry ? "yarn install --immutable" : "yarn install --frozen-lockfile",
      run: (script) => ["yarn", "run", script],
    };
  }
  const lockfile = await dir.firstFile(["package-lock.json", "npm-shrinkwrap.json"]);
  return {
    name: "npm",
    ...(lockfile ? { lockfile } : {}),
    install: lockfile ? "npm ci" : "npm install",
    run: (script) => ["npm", "run", script],
  };
}
