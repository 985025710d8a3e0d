/**
 * What the class view says when the shadow socket closes, by its close code: the gateway's close reason
 * is English words for its log (src/gateway/shadow-bridge.ts), never shown, so the view says it in
 * the page's language instead.
 */

/** 1011: the gateway gave up on the socket (too far behind, no answer to pings); 4001/4003: refused. */
export function shadowClosedKey(code: number): 'class.shadowLost' | 'class.shadowRefused' | 'class.shadowClosed' {
  if (code === 1011) return 'class.shadowLost';
  if (code === 4001 || code === 4003) return 'class.shadowRefused';
  return 'class.shadowClosed';
}
