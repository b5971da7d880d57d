/**
 * Berth gives every namespace network its own subnet from an address pool it manages, instead of leaving the
 * choice to dockerd: Docker's default pools hold about 30 bridge networks, and a PaaS with one namespace per
 * project must not stop at 30 projects. The default pool, 10.212.0.0/16 carved into /24s, holds 256 namespaces;
 * `--network-pool` picks another range (and `CIDR/SIZE`, e.g. `10.0.0.0/8/24`, another subnet size).
 */

/** DEFAULT_NETWORK_POOL is the pool used without `--network-pool`. */
export const DEFAULT_NETWORK_POOL = "10.212.0.0/16/24";

/** Cidr is an IPv4 range: its first address as a 32-bit number and its prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** AddressPool is a range carved into subnets of one size. */
export interface AddressPool {
  range: Cidr;
  subnetPrefix: number;
  /** text is the pool as written (`10.212.0.0/16/24`), for messages. */
  text: string;
}

/** parseCidr reads `a.b.c.d/n`; the base is masked to its prefix. Throws RangeError on anything else. */
export function parseCidr(text: string): Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : NaN;
  if (!match || octets.some((o) => o > 255) || prefix > 32) throw new RangeError(`"${text}" is not an IPv4 CIDR such as 10.212.0.0/16`);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: mask(address, prefix), prefix };
}

/** parseAddressPool reads `CIDR` (subnets of /24) or `CIDR/SIZE`. */
export function parseAddressPool(text: string): AddressPool {
  const parts = text.trim().split("/");
  if (parts.length !== 2 && parts.length !== 3) throw new RangeError(`network pool "${text}" must be CIDR or CIDR/SIZE, such as 10.212.0.0/16 or 10.212.0.0/16/24`);
  const range = parseCidr(`${parts[0]}/${parts[1]}`);
  const subnetPrefix = parts.length === 3 ? Number(parts[2]) : Math.max(24, range.prefix);
  if (!Number.isInteger(subnetPrefix) || subnetPrefix < range.prefix || subnetPrefix > 29) {
    throw new RangeError(`network pool "${text}": the subnet size must be between /${range.prefix} and /29`);
  }
  return { range, subnetPrefix, text: text.trim() };
}

/** formatCidr renders a Cidr as `a.b.c.d/n`. */
export function formatCidr(cidr: Cidr): string {
  const b = cidr.base;
  return `${(b >>> 24) & 255}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${cidr.prefix}`;
}

/** gatewayOf is the first host address of a subnet, which Docker gives the bridge. */
export function gatewayOf(cidr: Cidr): string {
  return formatCidr({ base: cidr.base + 1, prefix: 32 }).replace(/\/32$/, "");
}

/** overlaps tells whether two ranges share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return mask(a.base, prefix) === mask(b.base, prefix);
}

/**
 * freeSubnet returns the first subnet of the pool that overlaps none of `taken` (every subnet of every Docker
 * network, Berth's or not), or undefined when the pool is full.
 */
export function freeSubnet(pool: AddressPool, taken: readonly Cidr[]): Cidr | undefined {
  const count = 2 ** (pool.subnetPrefix - pool.range.prefix);
  const size = 2 ** (32 - pool.subnetPrefix);
  for (let i = 0; i < count; i++) {
    const candidate = { base: pool.range.base + i * size, prefix: pool.subnetPrefix };
    if (!taken.some((t) => overlaps(candidate, t))) return candidate;
  }
  return undefined;
}

function mask(address: number, prefix: number): number {
  if (prefix === 0) return 0;
  return (address & (~0 << (32 - prefix))) >>> 0;
}
