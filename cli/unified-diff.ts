/** DiffOptions name the two sides and set how many unchanged lines surround each change. */
export interface DiffOptions {
  fromName: string;
  toName: string;
  context?: number;
}

type Op = { kind: " " | "-" | "+"; text: string; a: number; b: number };

/**
 * editScript returns a shortest line edit script from a to b (longest common subsequence by dynamic
 * programming: manifests are small, and O(n·m) keeps the code obviously correct).
 */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: " ", text: a[i]!, a: i++, b: j++ });
    else if (i < n && (j === m || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) ops.push({ kind: "-", text: a[i]!, a: i++, b: j });
    else ops.push({ kind: "+", text: b[j]!, a: i, b: j++ });
  }
  return ops;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function range(start: number, count: number): string {
  // Unified diff numbers lines from 1; an empty range names the line before it.
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/** unifiedDiff renders `diff -u` output between two texts; the empty string when they are equal. */
export function unifiedDiff(from: string, to: string, options: DiffOptions): string {
  const context = options.context ?? 3;
  const ops = editScript(splitLines(from), splitLines(to));
  const changed = ops.map((op, index) => (op.kind === " " ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return "";
  const out = [`--- ${options.fromName}`, `+++ ${options.toName}`];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = Math.min(ops.length, changed[k]! + context + 1);
    while (k + 1 < changed.length && changed[k + 1]! - context <= end) {
      k++;
      end = Math.min(ops.length, changed[k]! + context + 1);
    }
    k++;
    const hunk = ops.slice(start, end);
    const first = hunk[0]!;
    const aCount = hunk.filter((op) => op.kind !== "+").length;
    const bCount = hunk.filter((op) => op.kind !== "-").length;
    out.push(`@@ -${range(first.a, aCount)} +${range(first.b, bCount)} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.text}`);
  }
  return `${out.join("\n")}\n`;
}
