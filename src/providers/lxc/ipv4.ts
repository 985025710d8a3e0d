/** IPv4 arithmetic for subnets, allocation pools and the floating range. */

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  network: number;
  prefix: number;
  /** First and last usable host addresses. */
  first: number;
  last: number;
  text: string;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) throw new Error(`not an IPv4 CIDR: ${text}`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 30) throw new Error(`prefix /${prefix} of ${text} is out of the supported range /8../30`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ipToInt(m[1]) & mask) >>> 0;
  const size = 2 ** (32 - prefix);
  return { network, prefix, first: network + 1, last: network + size - 2, text: `${intToIp(network)}/${prefix}` };
}

export function contains(cidr: Cidr, ip: string | number): boolean {
  const n = typeof ip === 'number' ? ip : ipToInt(ip);
  return n >= cidr.network && n <= cidr.last + 1;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= b.last + 1 && b.network <= a.last + 1;
}
