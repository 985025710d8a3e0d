/**
 * The one SSH connector to a lab, against a real sshd: logins direct and through the jump host, the
 * reason of each failure, the sentences the gateway and the checks make of them, and a connection
 * dropped after login that must not take the process down.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'ssh2';
import { SshTarget } from '../../src/checks/ssh-target.ts';
import { LabConnectionError } from '../../src/ssh/lab-connection-error.ts';
import * as gateway from '../../src/gateway/ssh-connect.ts';
import { connectDirect, connectThrough, forwardOut, LabSshError, type LabSshReason } from '../../src/ssh/lab-ssh.ts';
import { freePort, HAVE_SSHD, startSshd, type LocalSshd } from '../gateway/support/local-sshd.ts';
import { skipUnless } from '../support/prerequisite.ts';

function exec(client: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let out = '';
      channel.on('data', (chunk: Buffer) => (out += chunk.toString()));
      channel.on('close', () => resolve(out));
    });
  });
}

async function reasonOf(attempt: Promise<unknown>): Promise<LabSshReason> {
  const error = await attempt.then(
    () => assert.fail('the connection was expected to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof LabSshError, `not a LabSshError: ${String(error)}`);
  return error.reason;
}

describe('SSH connector to a lab', { skip: skipUnless(HAVE_SSHD, 'OpenSSH server (/usr/sbin/sshd) is not installed: apt-get install openssh-server') }, () => {
  let sshd: LocalSshd;
  let closedPort: number;
  const login = () => ({ username: sshd.user, privateKey: sshd.privateKey });
  before(async () => {
    sshd = await startSshd();
    closedPort = await freePort();
  });
  after(async () => sshd?.stop());

  test('logs in to the jump host, and through it to a server only the jump host names', async () => {
    const jump = await connectDirect(sshd.host, sshd.port, login());
    try {
      assert.equal(await exec(jump, 'echo direct'), 'direct\n');
      // The same sshd also listens on 127.0.0.2: the inner login travels inside the jump host's connection.
      const inner = await connectThrough(jump, '127.0.0.2', sshd.port, login());
      assert.match(await exec(inner, 'echo "$SSH_CONNECTION"'), /^127\.0\.0\.1 \d+ 127\.0\.0\.2 \d+/);
      inner.end();
      const stream = await forwardOut(jump, '127.0.0.2', sshd.port);
      const banner = await new Promise<string>((resolve) => stream.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      assert.match(banner, /^SSH-2\.0-/);
      stream.destroy();
    } finally {
      jump.end();
    }
  });

  test('each failure says why: no credentials, login refused, no answer, unreachable from the jump host', async () => {
    assert.equal(await reasonOf(connectDirect(sshd.host, sshd.port, { username: sshd.user })), 'no-credentials');
    assert.equal(await reasonOf(connectDirect(sshd.host, sshd.port, { ...login(), username: 'nobody-here' })), 'login-refused');
    assert.equal(await reasonOf(connectDirect(sshd.host, closedPort, login())), 'no-answer');
    const jump = await connectDirect(sshd.host, sshd.port, login());
    try {
      assert.equal(await reasonOf(connectThrough(jump, '127.0.0.2', closedPort, login())), 'unreachable-from-jump');
    } finally {
      jump.end();
    }
  });

  test('the gateway and the checks keep their own sentences for the learner', async () => {
    const gatewayMessage = (attempt: Promise<unknown>) =>
      attempt.then(
        () => assert.fail('expected a failure'),
        (error: unknown) => (assert.ok(error instanceof LabConnectionError, String(error)), error.message),
      );
    const secrets = { privateKey: sshd.privateKey };
    assert.equal(await gatewayMessage(gateway.connectDirect(sshd.host, sshd.port, { username: sshd.user, secrets: {} })), 'The lab has no login credentials yet; wait for it to finish starting.');
    assert.equal(
      await gatewayMessage(gateway.connectDirect(sshd.host, sshd.port, { username: 'nobody-here', secrets })),
      'The lab refused the login; if you reset the lab recently, wait a moment and reconnect.',
    );
    assert.equal(await gatewayMessage(gateway.connectDirect(sshd.host, closedPort, { username: sshd.user, secrets })), 'The lab server does not answer yet; it may still be starting. Reconnecting…');
    const jump = await gateway.connectDirect(sshd.host, sshd.port, { username: sshd.user, secrets });
    try {
      assert.equal(await gatewayMessage(gateway.forwardOut(jump, '127.0.0.2', closedPort)), 'The lab server "127.0.0.2" cannot be reached from the jump host yet.');
    } finally {
      jump.end();
    }

    const checksMessage = async (target: SshTarget, server?: string) => {
      try {
        const error = await target.client(server).then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof LabConnectionError, String(error));
        return error.message;
      } finally {
        target.close();
      }
    };
    assert.equal(
      await checksMessage(new SshTarget({ host: sshd.host, port: sshd.port, username: 'nobody-here', privateKey: sshd.privateKey })),
      `Could not log in to ${sshd.host} over SSH; the lab may still be starting, try again in a moment.`,
    );
    assert.equal(
      await checksMessage(new SshTarget({ host: sshd.host, port: sshd.port, ...login() }), 'no-such-server.invalid'),
      "Could not reach the server 'no-such-server.invalid' from the lab's jump host.",
    );
  });

  test('a connection dropped after login closes the client and does not crash the process', async () => {
    // A TCP relay in front of sshd that can cut the connection with a reset, as a dying lab or network would.
    const relayed = new Set<Socket>();
    const relay: Server = createServer((socket) => {
      relayed.add(socket);
      const upstream = connect(sshd.port, sshd.host);
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as { port: number }).port;
    try {
      const client = await connectDirect('127.0.0.1', port, login());
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      for (const socket of relayed) socket.resetAndDestroy();
      await closed;
    } finally {
      relay.close();
    }
  });
});
