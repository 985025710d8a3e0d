/**
 * What `stacklab stacks ...` does, two ways with one result: through a running server's API, or on the
 * store directly when no server holds it. Both give the API's JSON shapes, so the output is the same.
 */
import type { Runtime } from '../app/create-context.ts';
import type { CheckRunView } from '../checks/check-view.ts';
import type { Stack } from '../domain/stack.ts';
import type { StackState } from '../domain/states.ts';
import { runView } from '../checks/check-view.ts';
import { RESET_CONFIRMATION } from '../services/stack-service.ts';
import { publicStack } from '../http/routes/stacks.ts';
import type { ApiClient } from './api-client.ts';

/** A stack as the API sends it (publicStack as JSON: dates as ISO strings). */
export interface StackView {
  id: string;
  state: StackState;
  lab: string;
  learner: string;
  context: string;
  provider: string | null;
  error: string | null;
  [field: string]: unknown;
}
export type StackWithEvents = StackView & { events: unknown[] };

export interface StackFilter {
  state: StackState[];
  lab?: string;
  learner?: string;
}

/** What a check run answers: whether it joined a run already under way, and the run (finished unless `wait` was false). */
export interface CheckAnswer {
  joined: boolean;
  run: CheckRunView;
}

export interface LaunchRequest {
  learner: string;
  context: string;
  lab: string;
  run?: string;
}

export interface StackAccess {
  list(filter: StackFilter): Promise<StackView[]>;
  launch(request: LaunchRequest): Promise<StackView>;
  show(id: string): Promise<StackWithEvents>;
  suspend(id: string): Promise<StackView>;
  resume(id: string): Promise<StackView>;
  delete(id: string): Promise<StackView>;
  /** Delete and launch again; the API asks for the typed confirmation, which the command has taken. */
  reset(id: string): Promise<StackView>;
  /** Run the stack's progress checks (or join the run under way); `wait: false` answers at the start, through a server only. */
  check(id: string, wait: boolean): Promise<CheckAnswer>;
  close(): Promise<void>;
}

const asJson = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;
const seg = encodeURIComponent;

export function apiStackAccess(api: ApiClient): StackAccess {
  return {
    async list(filter) {
      const query = new URLSearchParams({ limit: '1000' });
      if (filter.state.length) query.set('state', filter.state.join(','));
      if (filter.lab) query.set('lab', filter.lab);
      if (filter.learner) query.set('learner', filter.learner);
      return (await api.request<{ stacks: StackView[] }>('GET', `/stacks?${query}`)).stacks;
    },
    async show(id) {
      const stack = await api.request<StackView>('GET', `/stacks/${seg(id)}`);
      const { events } = await api.request<{ events: unknown[] }>('GET', `/stacks/${seg(id)}/events`);
      return { ...stack, events };
    },
    suspend: (id) => api.request('POST', `/stacks/${seg(id)}/suspend`),
    resume: (id) => api.request('POST', `/stacks/${seg(id)}/resume`),
    delete: (id) => api.request('DELETE', `/stacks/${seg(id)}`),
    launch: (request) => api.request('POST', '/stacks', request),
    reset: (id) => api.request('POST', `/stacks/${seg(id)}/reset`, { confirm: RESET_CONFIRMATION }),
    check: (id, wait) => api.request('POST', `/stacks/${seg(id)}/check?wait=${wait}`),
    close: async () => undefined,
  };
}

export function directStackAccess(rt: Runtime): StackAccess {
  const stacks = rt.ctx.stacks;
  // The lab says which outputs are secret, as it does for the API.
  const view = (stack: Stack) => publicStack(stack, rt.ctx.labs.get(stack.lab));
  return {
    list: async (filter) => asJson((await stacks.list({ ...filter, limit: 1000 })).map(view)),
    show: async (id) => asJson({ ...view(await stacks.get(id)), events: await stacks.events(id) }),
    suspend: async (id) => asJson(view(await stacks.requestSuspend(id, 'cli'))),
    resume: async (id) => asJson(view(await stacks.requestResume(id, 'cli'))),
    delete: async (id) => asJson(view(await stacks.requestDelete(id, 'cli'))),
    launch: async (request) => asJson(view(await stacks.launch({ ...request, actor: 'cli' }))),
    reset: async (id) => asJson(view(await stacks.reset(id, RESET_CONFIRMATION, 'cli'))),
    async check(id) {
      // This process carries the run out, so it always waits (until the run's own deadline): closing the
      // store under a run still going would lose its result.
      const { run, joined } = await rt.ctx.checks.start(id, 'cli');
      const finished = await rt.ctx.checks.wait(run.id, run.deadline.getTime() - Date.now());
      return { joined, run: runView(finished, rt.ctx.labs.get(run.lab), 'service') };
    },
    close: () => rt.close(),
  };
}
