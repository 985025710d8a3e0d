/**
 * The learners at their terminals for bench/lab-density.bench.ts, in a process of their own: opens a
 * gateway terminal to each lab it is given (as the lab page does), waits for the prompt, starts `cat`
 * (the pty echoes each key, nothing else prints), then types for `measureMs`: each terminal a key at
 * random moments (exponential gaps, mean `keyMeanMs`), one key in flight per terminal, and the time from
 * the key sent on the socket to its echo coming back is recorded.
 *
 * Prints `{"phase":"measuring",...}` when the typing starts and `{"phase":"done",...}` with every echo time.
 * Usage: node --import tsx bench/echo-client.ts < plan.json
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PROMPT, Terminal, readStdin } from './terminal-socket.ts';

interface Plan {
  base: string;
  terminals: { session: string; stackId: string }[];
  openConcurrency: number;
  measureMs: number;
  keyMeanMs: number;
  keyTimeoutMs: number;
}

const plan = JSON.parse(await readStdin()) as Plan;
const say = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

const open: Terminal[] = [];
const openErrors: string[] = [];
const t0 = Date.now();
const queue = [...plan.terminals];
await Promise.all(
  Array.from({ length: plan.openConcurrency }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      let terminal: Terminal | undefined;
      try {
        terminal = await Terminal.open(plan.base, t.session, t.stackId);
        await terminal.waitFor(PROMPT, 60_000);
        terminal.send('cat > /dev/null\r');
        // bash then turns bracketed paste off (ESC [?2004l) and cat waits without a word.
        await terminal.waitFor(/cat > \/dev\/null\r\n/, 20_000);
        open.push(terminal);
      } catch (error) {
        terminal?.close();
        openErrors.push((error as Error).message);
      }
    }
  }),
);
const openMs = Date.now() - t0;

/** The echo of one key: resolves with its round trip in ms, or null when it does not come back in time. */
function echo(terminal: Terminal, key: string): Promise<number | null> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (!isBinary || !data.includes(key)) return;
      finish(Number(process.hrtime.bigint() - start) / 1e6);
    };
    const timer = setTimeout(() => finish(null), plan.keyTimeoutMs);
    const finish = (ms: number | null) => {
      clearTimeout(timer);
      terminal.ws.off('message', onMessage);
      resolve(ms);
    };
    terminal.ws.on('message', onMessage);
    terminal.send(key);
  });
}

const rtts: number[] = [];
let lost = 0;
const cpu0 = process.cpuUsage();
say({ phase: 'measuring', opened: open.length, failed: openErrors.length, openMs });
const end = Date.now() + plan.measureMs;
await Promise.all(
  open.map(async (terminal, i) => {
    // Start out of step with each other, as learners do.
    await sleep(Math.random() * plan.keyMeanMs);
    for (let n = 0; Date.now() < end && !terminal.closed; n++) {
      const ms = await echo(terminal, String.fromCharCode(97 + ((i + n) % 26)));
      if (ms === null) lost++;
      else rtts.push(ms);
      await sleep(-plan.keyMeanMs * Math.log(1 - Math.random()));
    }
  }),
);
const cpu = process.cpuUsage(cpu0);
for (const terminal of open) {
  terminal.send('\x03');
  terminal.close();
}
say({ phase: 'done', opened: open.length, openErrors: openErrors.slice(0, 3), failed: openErrors.length, openMs, lost, rtts: rtts.map((x) => Math.round(x * 100) / 100), cpuMs: (cpu.user + cpu.system) / 1000 });
// Sockets still closing must not hold the bench waiting for this process.
process.exit(0);
