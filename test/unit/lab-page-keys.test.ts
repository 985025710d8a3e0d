/**
 * The lab page names some messages by the stack it shows (web/lab-page.ts): `state.<STATE>`,
 * `badge.<phase>`, `title.<phase>`, `todo.<STATE or error code>`. A key the page builds that the
 * catalogue lacks shows the key itself, in every language; i18n-catalogues.test.ts keeps the six
 * catalogues' keys equal, so checking English here covers them all. A new state or phase fails here until
 * its messages are written, and the English the API sends beside them (`message`, for clients that do not
 * translate) must say what the catalogue says.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stack } from '../../src/domain/stack.ts';
import { STATES, type StackState } from '../../src/domain/states.ts';
import { stackView } from '../../src/http/routes/learner-view.ts';
import { catalogue } from '../../src/infra/i18n/catalogues.ts';

const english = catalogue('en');

function view(state: StackState, errorCode: string | null = null) {
  const at = new Date('2026-03-02T10:00:00Z');
  return stackView({ id: 's-1', lab: 'demo', state, error: errorCode ? 'no room' : null, errorCode, stateChangedAt: at, createdAt: at, suspendAt: null } as unknown as Stack, at);
}

describe("the lab page's keys by state", () => {
  test('every state has its message, every phase its badge and overlay title, every failure what to do', () => {
    const missing: string[] = [];
    const need = (key: string) => (key in english ? undefined : missing.push(key));
    for (const state of STATES) {
      const { phase } = view(state);
      need(`state.${state}`);
      need(`badge.${phase}`);
      // A ready lab's overlay says it is connecting (lab.connecting), not a title of its phase.
      if (phase !== 'ready') need(`title.${phase}`);
      if (phase === 'failed') need(`todo.${state}`);
    }
    for (const code of ['PROVIDER_FULL', 'PROVIDER_GONE']) {
      assert.equal(view('LAUNCH_FAILED', code).errorCode, code, `the view passes ${code} on`);
      need(`todo.${code}`);
    }
    assert.deepEqual(missing, []);
  });

  test("the API's English message for each state is the catalogue's", () => {
    const differ = STATES.filter((state) => view(state).message !== english[`state.${state}`]).map((state) => `${state}: "${view(state).message}" ≠ "${english[`state.${state}`]}"`);
    assert.deepEqual(differ, []);
  });
});
