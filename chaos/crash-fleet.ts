/**
 * The processes the crash campaign kills: one `serve --no-worker` (the API) and N `worker`s on one
 * PostgreSQL schema, each a real `bin/stacklab.js` process that can be SIGKILLed and started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface Member {
  name: string;
  args: string[];
  child: ChildProcess | null;
  starts: number;
  up: boolean;
  /** Resolves once this start of the process says it is serving (or working); never if it dies first. */
  ready: Promise<void>;
}

const READY_LINE = /stacklab listening on|worker started/;

export class Fleet {
  readonly members: Member[];
  private readonly log: WriteStream;

  constructor(
    private readonly repo: string,
    private readonly env: NodeJS.ProcessEnv,
    logFile: string,
    workers: number,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.members = [{ name: 'server', args: ['serve', '--no-worker'], child: null, starts: 0, up: false, ready: Promise.resolve() }];
    for (let i = 1; i <= workers; i++) this.members.push({ name: `worker-${i}`, args: ['worker'], child: null, starts: 0, up: false, ready: Promise.resolve() });
    // However the campaign ends (an error included), it leaves no server or worker running.
    process.on('exit', () => {
      for (const member of this.members) if (member.child && member.child.exitCode === null) member.child.kill('SIGKILL');
    });
  }

  start(member: Member): void {
    const child = spawn(process.execPath, [join(this.repo, 'bin/stacklab.js'), ...member.args], { cwd: this.repo, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tag = `[${member.name}#${++member.starts} pid ${child.pid}] `;
    const forward = (chunk: Buffer) => this.log.write(chunk.toString().replace(/^(?=.)/gm, tag));
    child.stdout!.on('data', forward);
    child.stderr!.on('data', forward);
    member.child = child;
    member.up = false;
    member.ready = new Promise((done) => {
      const watch = (chunk: Buffer) => {
        if (!READY_LINE.test(chunk.toString())) return;
        child.stdout!.off('data', watch);
        member.up = true;
        done();
      };
      child.stdout!.on('data', watch);
    });
  }

  startAll(): void {
    for (const member of this.members) this.start(member);
  }

  /** The members that are up now; waits for one when none is. */
  async upMembers(): Promise<Member[]> {
    const up = this.members.filter((m) => m.up);
    if (up.length) return up;
    await Promise.race(this.members.map((m) => m.ready));
    return this.members.filter((m) => m.up);
  }

  /** Every member up (or `timeoutMs` passed): a kill during start-up is allowed, but not only those. */
  async allReady(timeoutMs = 120_000): Promise<void> {
    await Promise.race([Promise.all(this.members.map((m) => m.ready)), new Promise((done) => setTimeout(done, timeoutMs))]);
  }

  /** SIGKILL, wait until the kernel has reaped it, start it again. */
  async crash(member: Member): Promise<void> {
    const child = member.child;
    member.up = false;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((done) => child.once('exit', done));
      child.kill('SIGKILL');
      await gone;
    }
    this.start(member);
  }

  /** Members that died on their own (not by our SIGKILL): a crash-loop is a finding too. */
  deadOnTheirOwn(): string[] {
    return this.members.filter((m) => m.child && m.child.exitCode !== null).map((m) => `${m.name} exited with ${m.child!.exitCode}`);
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.members.map(async (member) => {
        const child = member.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      }),
    );
    this.log.end();
  }
}
