import type { SourceDir } from "./source-dir.ts";

/**
 * procfileWebCommand is the `web:` process of a Heroku-style `Procfile`, a shell command line, if there is one.
 * Other process types (`worker:`, `release:`) are not run by a web App and are ignored.
 */
export async function procfileWebCommand(dir: SourceDir): Promise<string | undefined> {
  const text = await dir.text("Procfile");
  if (text === undefined) return undefined;
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*web\s*:\s*(.+?)\s*$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}
