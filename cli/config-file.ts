/**
 * parseSimpleConfig reads the CLI config file in the one shape berthd writes: top-level `key: value` scalars
 * (plain, single- or double-quoted) and `key: |` literal blocks for an inline PEM. Loading the `yaml` package
 * costs about 30 ms, a third of the CLI's start-up budget, so this fast path handles that shape and returns
 * undefined for anything else; the caller then parses the file with `yaml`. A unit test checks that both agree.
 */
export function parseSimpleConfig(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    i++;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*?))?[ \t]*$/.exec(line);
    if (!match) return undefined;
    const key = match[1]!;
    const rest = match[2] ?? "";
    if (key in out) return undefined;
    if (rest === "|" || rest === "|-") {
      const block: string[] = [];
      let indent: number | undefined;
      while (i < lines.length) {
        const next = lines[i]!;
        if (next.trim() === "") {
          block.push("");
          i++;
          continue;
        }
        const leading = /^ */.exec(next)![0].length;
        if (leading === 0) break;
        indent ??= leading;
        if (leading < indent) return undefined;
        block.push(next.slice(indent));
        i++;
      }
      while (block.length > 0 && block[block.length - 1] === "") block.pop();
      out[key] = block.join("\n") + (rest === "|" && block.length > 0 ? "\n" : "");
      continue;
    }
    const scalar = parseScalar(rest);
    if (scalar === undefined) return undefined;
    out[key] = scalar;
  }
  return out;
}

/** parseScalar accepts a plain, single-quoted or escape-free double-quoted scalar with an optional comment. */
function parseScalar(text: string): string | undefined {
  if (text === "") return undefined;
  if (text.startsWith("'")) {
    const match = /^'((?:[^']|'')*)'(\s+#.*)?$/.exec(text);
    return match ? match[1]!.replace(/''/g, "'") : undefined;
  }
  if (text.startsWith('"')) {
    const match = /^"([^"\\]*)"(\s+#.*)?$/.exec(text);
    return match ? match[1] : undefined;
  }
  // Anything YAML would read as another type, a flow collection, an alias or a block indicator goes to `yaml`.
  if (/^[[{&*!|>%@`]/.test(text) || /^(null|~|true|false|yes|no|on|off|[-+]?[0-9.][0-9._]*([eE][-+]?\d+)?)$/i.test(text)) return undefined;
  if (/: |\t/.test(text)) return undefined;
  return text.replace(/\s+#.*$/, "");
}
