/**
 * Loopback hosts: the machine itself. Plain http is acceptable only there (a developer's LMS and
 * stacklab on one machine, the test harness), because nothing between the two ends can read or
 * change the traffic.
 */
const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** True for localhost (and *.localhost), 127.0.0.0/8, ::1 and ::ffff:127.x, with or without brackets. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (IPV4_LOOPBACK.test(h)) return true;
  return h === '::1' || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
