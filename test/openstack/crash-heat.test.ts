/**
 * The crash campaign (chaos/crash.ts) against the real Heat of scripts/setup-heat.sh, short: a server
 * and a worker SIGKILLed at random while a driver launches, suspends, resumes, resets and deletes
 * stacks of a lab of OS::Heat resources (seconds per step; nothing boots, so the learner-file check
 * over SSH stays with the local runtime), and grades are sent to an AGS platform the campaign runs.
 * After the restart: no orphan Heat stack of the run's deployment (by name prefix and tag), none
 * stuck, no grade lost or posted twice.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { crashCampaign } from '../support/crash-campaign.ts';
import { ensureHeat, HEAT_MISSING } from './heat-env.ts';

const heat = await ensureHeat();
const postgresUp = await postgresAvailable();

describe('the crash campaign on the real Heat, short', { skip: skipUnless(heat !== null && postgresUp, heat ? 'PostgreSQL at 127.0.0.1:5432' : HEAT_MISSING) }, () => {
  test('SIGKILLs across Heat launches, suspends, resumes, resets, deletes and grade sends: no orphan Heat stack, none stuck, no grade lost or posted twice', async () => {
    const { code, out } = await crashCampaign(['--provider', 'heat', '--lab', 'heat-only', '--workers', '1', '--transitions', '30', '--min-kills', '1', '--minutes', '1', '--kill-gap', '3-8', '--seed', '17']);
    assert.equal(code, 0, out);
    assert.match(out, /no violations/);
    assert.match(out, /orphans at quiet \d+, after the reconciler 0/);
    const transitions = Number(/transitions: (\d+)/.exec(out)?.[1]);
    const kills = Number(/kills: (\d+) SIGKILLs/.exec(out)?.[1]);
    assert.ok(transitions >= 6, `${transitions} transitions:\n${out}`);
    // Driving goes on past 30 transitions until the first kill (a quiet machine made 10 transitions
    // in 7 s, before any), within a minute.
    assert.ok(kills >= 1, `${kills} kills:\n${out}`);
  });
});
