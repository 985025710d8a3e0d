/**
 * The load generator for the HTTP benchmarks, run in its own process so it does not share the server's
 * event loop. Requests cycle over the given paths (one stack per learner, as in real traffic).
 * Usage: node --import tsx bench/load-client.ts '<json options>'; prints autocannon's JSON result.
 */
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2]!) as { base: string; paths: string[]; method: 'GET' | 'POST'; duration: number; rate?: number; token: string };
let next = 0;
const result = await autocannon({
  url: opts.base,
  connections: 20,
  duration: opts.duration,
  overallRate: opts.rate,
  requests: [
    {
      method: opts.method,
      headers: { authorization: `Bearer ${opts.token}` },
      setupRequest: (request) => ({ ...request, path: opts.paths[next++ % opts.paths.length]! }),
    },
  ],
});
process.stdout.write(JSON.stringify({ requests: result.requests, latency: result.latency, non2xx: result.non2xx, errors: result.errors }));
