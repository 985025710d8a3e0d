/**
 * What the lab page does to show a terminal, for the benchmark clients: ask the learner API for a
 * connection grant, open the gateway's WebSocket with it, and read what the terminal shows. No
 * browser: the bytes on the socket are what xterm would draw.
 */
import WebSocket from 'ws';

export interface Grant {
  path: string;
  protocols: string[];
}

/** The learner API with a learner's session, as the page calls it; throws with the status and code on an error. */
export async function learnerApi<T>(base: string, session: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${session}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** A terminal through the gateway: the socket and everything it has shown so far. */
export class Terminal {
  text = '';
  /** The gateway's last control message (an error says why it closed), as sent. */
  control = '';
  closed = false;
  private waiters: { pattern: RegExp; resolve: () => void; reject: (error: Error) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`the gateway closed the terminal before ${w.pattern}: ${this.control || 'no reason given'}`));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.control = data.toString('utf8');
        return;
      }
      // Only the tail matters to the waits; a long session must not grow without bound.
      this.text = (this.text + data.toString('utf8')).slice(-4096);
      for (const w of [...this.waiters]) {
        if (w.pattern.test(this.text)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  }

  static async open(base: string, session: string, stackId: string): Promise<Terminal> {
    const grant = await learnerApi<Grant>(base, session, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {});
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`${base.replace('http', 'ws')}${grant.path}?cols=120&rows=32`, grant.protocols);
      socket.binaryType = 'nodebuffer';
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_request, response) => {
        socket.terminate();
        reject(new Error(`gateway upgrade refused: ${response.statusCode}`));
      });
      socket.once('error', reject);
    });
    return new Terminal(ws);
  }

  /** Resolves once the output so far matches `pattern` (checked at once and on every message); rejects when the socket closes first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    if (pattern.test(this.text)) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`the gateway closed the terminal: ${this.control || 'no reason given'}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`terminal did not show ${pattern} within ${timeoutMs} ms; it ends with ${JSON.stringify(this.text.slice(-200))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(text: string): void {
    this.ws.send(Buffer.from(text, 'utf8'));
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A shell prompt at the end of the output: `training@host:~$ ` (or root's `#`). */
export const PROMPT = /[$#] $/;

/** The plan a bench hands its client process (on stdin: a class's sessions outgrow a command line). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
