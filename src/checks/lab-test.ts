/**
 * Lab CI for authors (`stacklab test`): launch the lab on a provider, run its solution, run the checks
 * (all must pass), suspend, resume, run the checks again (the lab must survive a suspend), delete. Every
 * step is timed; the stack is deleted whatever happened. Talks to the provider directly, so it needs no
 * database or server.
 */
import { randomBytes } from 'node:crypto';
import type { Lab } from '../domain/lab.ts';
import { LAB_TEST_DEPLOYMENT } from '../domain/deployment.ts';
import { deploymentPrefix } from '../providers/stack-names.ts';
import { type Provider, type ProviderAction, type ProviderStack, type StackRef } from '../providers/provider.ts';
import { runRemoteScript } from './remote-script.ts';
import { runChecks } from './run-checks.ts';
import { labSshTarget, type SshTarget } from './ssh-target.ts';

export interface LabTestStep {
  name: string;
  ok: boolean;
  durationMs: number;
  detail?: string;
}

export interface LabTestReport {
  lab: string;
  provider: string;
  ok: boolean;
  steps: LabTestStep[];
  durationMs: number;
}

export interface LabTestOptions {
  /** Called as each step ends, for live output. */
  onStep?: (step: LabTestStep) => void;
  pollMs?: number;
  /** How long to keep trying the first SSH login after the stack is complete. */
  sshWaitSeconds?: number;
}

class StepFailed extends Error {}

async function waitFor(provider: Provider, ref: StackRef, action: ProviderAction, timeoutMs: number, pollMs: number): Promise<ProviderStack | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stack = await provider.get(ref);
    if (action === 'DELETE' && (!stack || (stack.action === 'DELETE' && stack.status === 'COMPLETE'))) return stack;
    if (!stack) throw new StepFailed(`the stack disappeared from provider ${provider.name}`);
    if (stack.action === action && stack.status === 'COMPLETE') return stack;
    if (stack.action === action && stack.status === 'FAILED') throw new StepFailed(`${action} failed: ${stack.reason}`);
    if (Date.now() > deadline) throw new StepFailed(`${action} did not complete within ${Math.round(timeoutMs / 1000)} s (still ${stack.action} ${stack.status})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export async function testLab(lab: Lab, provider: Provider, options: LabTestOptions = {}): Promise<LabTestReport> {
  const started = Date.now();
  const steps: LabTestStep[] = [];
  const pollMs = options.pollMs ?? 500;
  const step = async <T>(name: string, fn: () => Promise<T>, describe?: (value: T) => string): Promise<T> => {
    const t0 = Date.now();
    try {
      const value = await fn();
      const done: LabTestStep = { name, ok: true, durationMs: Date.now() - t0, ...(describe ? { detail: describe(value) } : {}) };
      steps.push(done);
      options.onStep?.(done);
      return value;
    } catch (error) {
      const failed: LabTestStep = { name, ok: false, durationMs: Date.now() - t0, detail: (error as Error).message };
      steps.push(failed);
      options.onStep?.(failed);
      throw new StepFailed(failed.detail);
    }
  };
  const report = (): LabTestReport => ({ lab: lab.id, provider: provider.name, ok: steps.every((s) => s.ok), steps, durationMs: Date.now() - started });

  const source = lab.providers.find((p) => p.name === provider.name);
  // Under the lab tests' own deployment: a server sharing the provider must not take it for its zombie.
  const name = `${deploymentPrefix(LAB_TEST_DEPLOYMENT)}${lab.id.slice(0, 20)}-${randomBytes(3).toString('hex')}`;
  let ref: StackRef | undefined;
  let target: SshTarget | undefined;
  try {
    if (lab.checks.length > 0 && !lab.solution) {
      await step('solution present', async () => {
        throw new Error("the lab has checks but no 'solution' script: add one so the checks can be shown to pass");
      });
    }
    const created = await step(
      'launch',
      async () => {
        ref = await provider.create({
          name,
          deployment: LAB_TEST_DEPLOYMENT,
          template: source?.template ?? lab.template,
          environment: source?.environment ?? lab.environment,
          parameters: { ...lab.parameters, run: 'stacklab-test' },
          timeoutSeconds: lab.timeouts.launch,
          options: { allowInternet: lab.allowInternet },
        });
        return waitFor(provider, ref, 'CREATE', lab.timeouts.launch * 1000, pollMs);
      },
      (s) => `public_ip ${String(s?.outputs.public_ip ?? '(none)')}`,
    );
    const outputs = created?.outputs ?? {};
    if (typeof outputs.public_ip !== 'string') throw new StepFailed('the template has no public_ip output');
    const publicIp = outputs.public_ip;
    const secrets = {
      privateKey: typeof outputs.private_key === 'string' ? outputs.private_key : undefined,
      password: typeof outputs.password === 'string' ? outputs.password : undefined,
    };
    // Servers accept logins a moment after the stack is complete (sshd starting, cloud-config users).
    const login = async () => {
      target?.close();
      const deadline = Date.now() + (options.sshWaitSeconds ?? 120) * 1000;
      for (;;) {
        const fresh = labSshTarget(publicIp, lab, secrets);
        try {
          await fresh.client();
          target = fresh;
          return;
        } catch (error) {
          fresh.close();
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    };
    await step(`ssh login as ${lab.user}`, login);
    const checks = async (label: string) =>
      step(label, async () => {
        const outcome = await runChecks(target!, lab.checks, { checkSeconds: lab.timeouts.check, remoteExecSeconds: lab.timeouts.remoteExec });
        const failed = outcome.results.filter((r) => !r.passed);
        if (failed.length) throw new Error(`${outcome.passed}/${outcome.total} passed; failing: ${failed.map((r) => `'${r.title}': ${r.hint ?? ''}`).join('; ')}`);
        return outcome;
      }, (o) => `${o.passed}/${o.total} passed`);
    if (lab.solution) {
      await step('solution', async () => {
        const run = await runRemoteScript(await target!.client(), lab.solution!, { timeoutMs: lab.timeouts.remoteExec * 1000 });
        if (run.timedOut) throw new Error(`the solution did not finish within ${lab.timeouts.remoteExec} s`);
        if (run.exitCode !== 0) throw new Error(`the solution exited with ${run.exitCode}: ${run.stderr.trim().slice(-500)}`);
      });
    }
    if (lab.checks.length) await checks('checks after the solution');
    target?.close();
    await step('suspend', async () => {
      await provider.suspend(ref!);
      await waitFor(provider, ref!, 'SUSPEND', lab.timeouts.suspend * 1000 + 60_000, pollMs);
    });
    await step('resume', async () => {
      await provider.resume(ref!);
      await waitFor(provider, ref!, 'RESUME', lab.timeouts.launch * 1000, pollMs);
    });
    await step('ssh login after resume', login);
    if (lab.checks.length) await checks('checks after resume');
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    target?.close();
    if (ref) {
      const r = ref;
      await step('delete', async () => {
        await provider.delete(r);
        await waitFor(provider, r, 'DELETE', 300_000, pollMs);
      }).catch(() => undefined);
    }
  }
  return report();
}

export function formatReport(report: LabTestReport): string {
  const lines = [`stacklab test: lab '${report.lab}' on provider '${report.provider}'`];
  for (const s of report.steps) {
    lines.push(`  ${s.ok ? '✓' : '✗'} ${s.name.padEnd(28)} ${(s.durationMs / 1000).toFixed(2).padStart(7)} s${s.detail ? `  ${s.detail}` : ''}`);
  }
  lines.push(`${report.ok ? 'PASS' : 'FAIL'} in ${(report.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
