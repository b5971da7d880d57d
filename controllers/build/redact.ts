/** REDACTED replaces every secret value in build output. */
export const REDACTED = "[redacted]";

/**
 * Redactor removes secret values from text that arrives in pieces: a value split across two chunks is still
 * found, because the last `longest - 1` characters of each chunk are held back until the next one (or `end`).
 * Values shorter than 4 characters are not redacted: they would blank out ordinary words.
 */
export class Redactor {
  private readonly secrets: string[];
  private readonly keep: number;
  private carry = "";

  constructor(secrets: Iterable<string>) {
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
    this.keep = this.secrets.length > 0 ? this.secrets[0]!.length - 1 : 0;
  }

  /** push takes the next chunk and returns what can be written now. */
  push(text: string): string {
    if (this.secrets.length === 0) return text;
    const pending = this.redact(this.carry + text);
    const cut = Math.max(0, pending.length - this.keep);
    this.carry = pending.slice(cut);
    return pending.slice(0, cut);
  }

  /** end returns whatever is still held back. */
  end(): string {
    const rest = this.redact(this.carry);
    this.carry = "";
    return rest;
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}
