/**
 * The lifecycle's most frequent statements reach PostgreSQL as prepared statements (db/prepared.ts): the
 * reads of a stack by its id and by learner, course and lab, the course's usage limit of a lab, and the
 * transitions and updates of a stack by its id, each text under a name of its own. Parsing and planning
 * them at every call was a fifth of PostgreSQL's CPU in the cost benchmark. One connection, so everything
 * a launch, a suspend and a come-back sent is in its pg_prepared_statements.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();

test(
  "a launch, a suspend and a come-back send the stack's by-key reads, its transitions and updates and the usage limit prepared",
  { skip: skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') },
  async () => {
    const rt = await testRuntime({ backend: 'postgres', providers: [new FakeProvider('fake')], labs: [testLab()], poolSize: 1 });
    try {
      const launch = { learner: 'ada', context: 'course', lab: 'demo', actor: 'learner:ada' };
      const stack = await rt.ctx.stacks.launch(launch);
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED');
      await rt.ctx.stacks.launch(launch);
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');

      const statements = (await rt.ctx.db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).map((r) => r.statement.replace(/\s+/g, ' '));
      const prepared = (what: string, pattern: RegExp) => assert.ok(statements.some((s) => pattern.test(s)), `${what} was not sent prepared`);
      prepared('the read of a stack by its id', /FROM stacks WHERE id = \$1$/);
      prepared('the read of a stack by learner, course and lab', /FROM stacks WHERE learner = \$1 AND context = \$2 AND lab = \$3$/);
      prepared("the course's usage limit of a lab", /FROM usage_limits WHERE context = \$1 AND lab = \$2$/);
      prepared("the worker's guarded transition", /^WITH prev AS \(SELECT id, state FROM stacks WHERE id = \$1 AND state = ANY\(\$2::text\[\]\) AND lease_owner = \$\d+ FOR UPDATE\)/);
      prepared("the come-back's transition", /^WITH prev AS \(SELECT id, state FROM stacks WHERE id = \$1 AND state = ANY\(\$2::text\[\]\) FOR UPDATE\)/);
      prepared("the worker's update of a stack", /^UPDATE stacks SET updated_at = \$3, .* WHERE id = \$1 AND state = ANY\(\$2::text\[\]\) AND lease_owner = /);
    } finally {
      await rt.close();
    }
  },
);
