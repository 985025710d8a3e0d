/**
 * stacklab behind Debian's nginx with TLS, configured by the file the guide ships
 * (deploy/nginx/stacklab.conf, docs/reverse-proxy.md): the lab page loads over https, its terminal
 * WebSocket goes through nginx as wss and a real shell answers, plain http is sent to https, and a
 * client cannot pass its own X-Forwarded-For through. Only the lines the file marks CHANGE are rewritten
 * here (ports, names, certificate), so the test runs what an operator installs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { gatewayWorld, sshLab, type GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { CHROMIUM, CHROMIUM_ARGS, REPO, typeLine, waitForTerminal } from '../e2e/support/e2e-world.ts';
import { freePort } from '../support/free-port.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';

const NGINX = '/usr/sbin/nginx';
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const READY = existsSync(NGINX) && HAVE_OPENSSL && HAVE_SSHD && existsSync(CHROMIUM);
const WHY = 'needs nginx (apt-get install nginx), openssl, sshd and Chromium';

/** Resolves once something accepts connections on the port (nginx has bound it); fails at once if nginx exits. */
async function listening(port: number, nginx: ChildProcess, log: string): Promise<void> {
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  await eventually(
    async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}): ${readFileSync(log, 'utf8').slice(-2000)}`);
      return (await accepts()) || undefined;
    },
    20_000,
    `nginx to listen on ${port}`,
  );
}

/** The shipped file with its CHANGE lines set for this test; each must be found, so the guide and file cannot drift apart. */
function configured(ports: { stacklab: number; http: number; tls: number }, cert: string, key: string): string {
  let text = readFileSync(join(REPO, 'deploy/nginx/stacklab.conf'), 'utf8');
  const change = (from: string | RegExp, to: string) => {
    const next = text.replace(from, to);
    assert.notEqual(next, text, `deploy/nginx/stacklab.conf no longer has ${String(from)}`);
    text = next;
  };
  change(/server 127\.0\.0\.1:8080;/, `server 127.0.0.1:${ports.stacklab};`);
  change(/listen 80;\n\s*listen \[::\]:80;/, `listen 127.0.0.1:${ports.http};`);
  change(/listen 443 ssl http2;\n\s*listen \[::\]:443 ssl http2;/, `listen 127.0.0.1:${ports.tls} ssl http2;`);
  change(/server_name lab\.example\.edu;/g, 'server_name localhost;');
  change('/etc/ssl/certs/lab.example.edu.pem', cert);
  change('/etc/ssl/private/lab.example.edu.key', key);
  return text;
}

function get(url: string, options: { ca?: string; headers?: Record<string, string> } = {}): Promise<IncomingMessage & { body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { ca: options.ca, headers: { connection: 'close', ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(Object.assign(res, { body })));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('stacklab behind nginx with TLS (deploy/nginx/stacklab.conf)', { skip: skipUnless(READY, WHY), concurrency: false }, () => {
  let dir: string;
  let world: GatewayWorld;
  let nginx: ChildProcess;
  let browser: Browser;
  let cert: string;
  let tls: number;
  let http: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stacklab-nginx-'));
    // nginx's workers (nobody, when started as root) reach their temp folders through this one.
    chmodSync(dir, 0o755);
    const certFile = join(dir, 'localhost.pem');
    const keyFile = join(dir, 'localhost.key');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    cert = readFileSync(certFile, 'utf8');
    [tls, http] = [await freePort(), await freePort()];

    // As the guide says: public_url is the proxy's https address, and stacklab trusts the proxy's headers.
    world = await gatewayWorld((sshd) => [sshLab(sshd)], { public_url: `https://localhost:${tls}`, trust_proxy: true });
    const stacklab = Number(new URL(world.base).port);
    writeFileSync(join(dir, 'stacklab.conf'), configured({ stacklab, http, tls }, certFile, keyFile));
    for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, temp));
    const log = join(dir, 'error.log');
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${log} info;`,
        'events { worker_connections 256; }',
        'http {',
        `  access_log ${join(dir, 'access.log')};`,
        ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${join(dir, t)};`),
        `  include ${join(dir, 'stacklab.conf')};`,
        '}',
      ].join('\n'),
    );
    const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    assert.equal(check.status, 0, `nginx -t refused the shipped configuration:\n${check.stderr}`);
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
    await listening(tls, nginx, log);
    await listening(http, nginx, log);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await world?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the lab page loads over https and its terminal talks to a real shell through nginx (wss)', async () => {
    const session = await world.session('tess');
    await world.launch(session, 'shell');
    // The certificate is this test's own, unknown to Chromium; the page itself is exactly as served.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`https://localhost:${tls}/lab/shell#session=${session}`);
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
    await typeLine(page, 'echo "through-nginx-$((40+2))"');
    await waitForTerminal(page, /through-nginx-42/);
    assert.ok(
      sockets.some((url) => url.startsWith(`wss://localhost:${tls}/gateway/stacks/`)),
      `the terminal socket went through nginx over TLS: ${sockets.join(', ')}`,
    );
    await context.close();
  });

  test('plain http is sent to https, and https answers carry HSTS', async () => {
    const redirect = await get(`http://127.0.0.1:${http}/healthz`, { headers: { host: 'localhost' } });
    assert.equal(redirect.statusCode, 301);
    assert.equal(redirect.headers.location, 'https://localhost/healthz');
    const health = await get(`https://localhost:${tls}/healthz`, { ca: cert });
    assert.equal(health.statusCode, 200, health.body);
    assert.match(String(health.headers['strict-transport-security']), /max-age=\d+/);
  });

  test("stacklab gets nginx's view of the client and scheme, not a forwarded header the client made up", async () => {
    // What reaches stacklab's HTTP server from nginx, read beside fastify's own handler.
    const received: IncomingMessage['headers'][] = [];
    const record = (req: IncomingMessage) => {
      if (req.url === '/healthz?from=forger') received.push(req.headers);
    };
    world.app.server.on('request', record);
    try {
      const forged = await get(`https://localhost:${tls}/healthz?from=forger`, { ca: cert, headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' } });
      assert.equal(forged.statusCode, 200, forged.body);
    } finally {
      world.app.server.off('request', record);
    }
    assert.equal(received.length, 1);
    assert.equal(received[0]!['x-forwarded-for'], '127.0.0.1', 'replaced by the address nginx saw, never appended to');
    assert.equal(received[0]!['x-forwarded-proto'], 'https');
    assert.equal(received[0]!['x-forwarded-host'], 'localhost');
  });
});
