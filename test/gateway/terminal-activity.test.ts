/**
 * The terminal bridge as an activity signal, end to end against a real sshd: a keystroke moves the stack's
 * last activity on the server (through the ledger), and output alone does so only within the lab's
 * output window after the last keystroke. The runtime's manual clock is the server's time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab } from '../support/test-runtime.ts';
import { HAVE_SSHD } from './support/local-sshd.ts';
import { gatewayWorld, openSocket, Screen, sshLab, type GatewayWorld } from './support/gateway-world.ts';

const OUTPUT_WINDOW = 5;

describe('terminal activity on the server', { skip: skipUnless(HAVE_SSHD, 'sshd is not installed (apt-get install openssh-server)') }, () => {
  let world: GatewayWorld;
  before(async () => {
    // A touch per second of the server's clock at most, and output counting for 5 s after a keystroke.
    world = await gatewayWorld((sshd) => [sshLab(sshd, { id: 'shell', timeouts: { ...testLab().timeouts, outputActivity: OUTPUT_WINDOW } })], { keepalive_interval: 1 });
  });
  after(async () => world?.close());

  test('a keystroke counts as activity; output counts only within the output window after it', async () => {
    const session = await world.session('alice');
    const stackId = await world.launch(session, 'shell');
    const grant = await world.api<{ path: string; protocols: string[] }>(session, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {});
    const ws = await openSocket(world.base.replace('http', 'ws') + grant.body.path, grant.body.protocols);
    const screen = new Screen(ws);
    await screen.waitFor(/[$#] $/m);
    const { clock, ctx } = world.runtime;
    const lastActivity = async () => {
      await ctx.stacks.activityLedger.drain();
      return (await ctx.stacks.get(stackId)).lastActivityAt.getTime();
    };

    clock.advance(100);
    const typedAt = clock.now().getTime();
    screen.type('for i in 1 2 3 4 5 6 7 8; do echo tick$i; sleep 0.5; done\r');
    await eventually(async () => ((await lastActivity()) === typedAt ? true : undefined), 10_000, 'the keystrokes as activity');

    clock.advance(3); // within the window: the loop's output keeps the lab alive
    await screen.waitFor(/tick2/);
    await eventually(async () => ((await lastActivity()) === typedAt + 3000 ? true : undefined), 10_000, 'output within the window as activity');

    clock.advance(10); // past the window: output alone no longer counts
    await screen.waitFor(/tick7/);
    assert.equal(await lastActivity(), typedAt + 3000);
    ws.close();
  });
});
