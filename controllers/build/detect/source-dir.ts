import { lstat, readdir, readFile } from "node:fs/promises";
import { join, normalize, sep } from "node:path";

/**
 * SourceDir reads a build context for detection. It reads only regular files and directories inside the
 * context: symbolic links count as absent, so a repository cannot make detection read outside its checkout.
 */
export class SourceDir {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private path(relative: string): string {
    const clean = normalize(relative);
    if (clean.startsWith("..") || clean.startsWith(sep)) throw new RangeError(`path ${relative} is outside the context`);
    return join(this.root, clean);
  }

  /** isFile says whether `relative` is a regular file. */
  async isFile(relative: string): Promise<boolean> {
    const stat = await lstat(this.path(relative)).catch(() => undefined);
    return stat?.isFile() ?? false;
  }

  /** isDir says whether `relative` is a directory. */
  async isDir(relative: string): Promise<boolean> {
    const stat = await lstat(this.path(relative)).catch(() => undefined);
    return stat?.isDirectory() ?? false;
  }

  /** firstFile is the first of `candidates` that is a regular file. */
  async firstFile(candidates: readonly string[]): Promise<string | undefined> {
    for (const candidate of candidates) if (await this.isFile(candidate)) return candidate;
    return undefined;
  }

  /** text is a file's content, or undefined when it is not a regular file. */
  async text(relative: string): Promise<string | undefined> {
    if (!(await this.isFile(relative))) return undefined;
    return readFile(this.path(relative), "utf8");
  }

  /** json is a file parsed as JSON, or undefined when absent; unreadable JSON throws a SyntaxError naming the file. */
  async json(relative: string): Promise<unknown> {
    const text = await this.text(relative);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new SyntaxError(`${relative} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }

  /** entries lists the names in a directory (empty when it is not one), sorted. */
  async entries(relative = "."): Promise<string[]> {
    if (!(await this.isDir(relative))) return [];
    return (await readdir(this.path(relative))).sort();
  }
}
