/**
 * The desktop bridge: a real TigerVNC server (Xvnc, localhost only, as in the desktop lab) reached
 * through the stack's SSH connection; the browser's WebSocket gets the RFB handshake byte for byte.
 * A read-only lab's desktop goes through the server-side input filter: a hand-made client still sees
 * the screen, its input is dropped, and a message the filter cannot frame closes the socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type WebSocket from 'ws';
import { skipUnless } from '../support/prerequisite.ts';
import { freePort, HAVE_SSHD } from './support/local-sshd.ts';
import { gatewayWorld, openSocket, sshLab, type GatewayWorld } from './support/gateway-world.ts';
import { RfbClient } from './support/rfb-client.ts';

const XVNC = '/usr/bin/Xvnc';

function nextBytes(ws: WebSocket, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onMessage = (data: Buffer) => {
      got = Buffer.concat([got, data]);
      if (got.length >= count) {
        ws.off('message', onMessage);
        resolve(got);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', () => reject(new Error(`socket closed after ${got.length} bytes`)));
  });
}

describe('desktop (VNC) gateway', { skip: skipUnless(HAVE_SSHD && existsSync(XVNC), 'needs sshd and TigerVNC (apt-get install openssh-server tigervnc-standalone-server)') }, () => {
  let world: GatewayWorld;
  let xvnc: ChildProcess;
  let session: string;
  let stackId: string;

  before(async () => {
    const vncPort = await freePort();
    const display = 40 + (vncPort % 50);
    xvnc = spawn(XVNC, [`:${display}`, '-rfbport', String(vncPort), '-localhost', '-SecurityTypes', 'None', '-geometry', '640x480', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const ports = (sshdPort: number) => [{ name: 'ssh', number: sshdPort }, { name: 'desktop', number: vncPort }];
    world = await gatewayWorld((sshd) => [
      sshLab(sshd, { id: 'desk', protocol: 'vnc', port: 5901, ports: ports(sshd.port) }),
      sshLab(sshd, { id: 'desk-watch', protocol: 'vnc', port: 5901, ports: ports(sshd.port), readOnly: true }),
    ]);
    session = await world.session('carol');
    stackId = await world.launch(session, 'desk');
  });
  after(async () => {
    await world?.close();
    xvnc?.kill();
  });

  test('noVNC gets the RFB handshake from the lab desktop through SSH', async () => {
    const lab = await world.api<{ lab: { servers: string[]; protocol: string } }>(session, 'GET', '/api/v1/me/labs/desk');
    assert.deepEqual(lab.body.lab.servers, ['desktop'], 'the ssh tunnel port is not offered as a screen');
    const grant = await world.api<{ path: string; protocols: string[]; kind: string }>(session, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {});
    assert.equal(grant.body.kind, 'vnc');
    let ws: WebSocket | undefined;
    // Xvnc may still be starting: the bridge closes, the page (here: the test) reconnects.
    for (let attempt = 0; attempt < 20 && !ws; attempt++) {
      const candidate = await openSocket(world.base.replace('http', 'ws') + grant.body.path, grant.body.protocols);
      try {
        const banner = await nextBytes(candidate, 12);
        assert.equal(banner.subarray(0, 12).toString('latin1'), 'RFB 003.008\n');
        ws = candidate;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    assert.ok(ws, 'the desktop answered');
    ws.send(Buffer.from('RFB 003.008\n', 'latin1'));
    const security = await nextBytes(ws, 2);
    const types = [...security.subarray(1, 1 + security[0])];
    assert.ok(types.includes(1), `security type None offered (got ${types})`);
    ws.close();
  });

  test('a terminal token does not open the desktop, and the terminal route refuses a desktop token', async () => {
    const grant = await world.api<{ path: string; protocols: string[] }>(session, 'POST', `/api/v1/me/stacks/${stackId}/connections`, {});
    await assert.rejects(openSocket(world.base.replace('http', 'ws') + `/gateway/stacks/${stackId}/terminal`, grant.body.protocols), { status: 403 });
  });

  async function readOnlyDesktop(): Promise<{ url: string; protocols: string[] }> {
    const stack = await world.launch(session, 'desk-watch');
    const grant = await world.api<{ path: string; protocols: string[]; readOnly: boolean }>(session, 'POST', `/api/v1/me/stacks/${stack}/connections`, {});
    assert.equal(grant.body.readOnly, true);
    return { url: world.base.replace('http', 'ws') + grant.body.path, protocols: grant.body.protocols };
  }

  test('a read-only grant: a hand-made client sees the screen, and its input is dropped on the server', async () => {
    const { url, protocols } = await readOnlyDesktop();
    const { client, init } = await RfbClient.connect(url, protocols);
    assert.deepEqual([init.width, init.height], [640, 480]);
    client.type('echo hi\r');
    // SetDesktopSize (one screen, 800x600) without ExtendedDesktopSize: bookworm's Xvnc 1.12 crashes on it,
    // so if it got through, the update below would never come.
    const resize = Buffer.alloc(24);
    resize.writeUInt8(251, 0);
    resize.writeUInt16BE(800, 2);
    resize.writeUInt16BE(600, 4);
    resize.writeUInt8(1, 6);
    resize.writeUInt16BE(800, 16);
    resize.writeUInt16BE(600, 18);
    client.send(Buffer.concat([resize, Buffer.from([5, 1, 0, 9, 0, 9]), Buffer.from([6, 0, 0, 0, 0, 0, 0, 2]), Buffer.from('hi')]));
    assert.equal(await client.updateOnePixel(init.bytesPerPixel), 0, 'a FramebufferUpdate comes back through the filter');
    // Connection tokens are single use: the second look at the desktop takes a token of its own.
    const second = await readOnlyDesktop();
    const again = await RfbClient.connect(second.url, second.protocols);
    assert.deepEqual([again.init.width, again.init.height], [640, 480], 'the desktop was not resized');
    again.client.close();
    client.close();
  });

  test('a read-only grant: a message the filter cannot frame closes the socket with the reason', async () => {
    const { url, protocols } = await readOnlyDesktop();
    const { client } = await RfbClient.connect(url, protocols);
    client.send(Buffer.from([9, 0, 0, 0]));
    const closed = await client.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /type 9 is not known/);
  });
});
