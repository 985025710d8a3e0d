/**
 * The registry of learners' open RDP sessions (src/gateway/live-rdp.ts): the latest session per stack and
 * server is the one a watcher joins, and its end reaches every watcher once, even one that subscribes late.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveRdpSessions } from '../../src/gateway/live-rdp.ts';

test('the latest open session is found, by server or on any; an ended one is gone', () => {
  const live = new LiveRdpSessions();
  const endFirst = live.publish('stack-1', 'default', '$a');
  live.publish('stack-1', 'win2', '$b');
  assert.equal(live.find('stack-1')?.connectionId, '$b', 'any server: the latest');
  assert.equal(live.find('stack-1', 'default')?.connectionId, '$a');
  assert.equal(live.find('stack-2'), undefined);
  endFirst();
  assert.equal(live.find('stack-1', 'default'), undefined);
  assert.equal(live.find('stack-1')?.connectionId, '$b');
});

test("a session's end reaches its watchers once, and one subscribing after the end at once", () => {
  const live = new LiveRdpSessions();
  const end = live.publish('stack-1', 'default', '$a');
  const session = live.find('stack-1');
  assert.ok(session);
  const heard: string[] = [];
  session.onEnd(() => heard.push('first'));
  const unsubscribe = session.onEnd(() => heard.push('gone'));
  unsubscribe();
  end();
  end();
  session.onEnd(() => heard.push('late'));
  assert.deepEqual(heard, ['first', 'late']);
});
