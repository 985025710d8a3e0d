/**
 * Images of lab instructions, served from the lab folder by GET /lab/:labId/files/<path>: the right
 * type and headers, nothing but images (never the check scripts, template or lab.yaml), no way out of
 * the folder, a hidden lab's images only with the token its rendered instructions carry; and relative
 * image URLs in the rendered instructions point at that route.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { signLabFileAccess } from '../../src/http/lab-file-access.ts';
import { labImageUrl } from '../../src/http/routes/learner-markdown.ts';
import { issueSession } from '../../src/http/session.ts';
import { loadLab } from '../../src/labs/load-labs.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="teal"/></svg>\n';
// The smallest valid PNG: 1x1, one transparent pixel.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

function labFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'lab-files-'));
  const dir = join(root, 'net');
  for (const sub of ['images', 'docs', 'checks', 'images/folder.png']) mkdirSync(join(dir, sub), { recursive: true });
  mkdirSync(join(root, 'outside'));
  writeFileSync(join(root, 'outside', 'leak.png'), PNG);
  writeFileSync(join(dir, 'images', 'topology.svg'), SVG);
  writeFileSync(join(dir, 'images', 'photo.png'), PNG);
  writeFileSync(join(dir, 'images', '.draft.png'), PNG);
  writeFileSync(join(dir, 'checks', 'hello.sh'), '#!/bin/bash\necho secret-check\n');
  writeFileSync(join(dir, 'lab.yaml'), 'title: net\n');
  symlinkSync(join(root, 'outside', 'leak.png'), join(dir, 'images', 'leak.png'));
  symlinkSync('../checks/hello.sh', join(dir, 'images', 'script.png'));
  return dir;
}

describe('lab files (instruction images)', () => {
  let runtime: TestRuntime;
  let app: FastifyInstance;
  let dir: string;
  let session: string;

  before(async () => {
    dir = labFolder();
    const instructions = '# Net\n\n![topology](../images/topology.svg "The networks")\n\n![logo](https://example.org/logo.png)\n\n![bad](javascript:alert(1))';
    const tenServers = loadLab(join(import.meta.dirname, '../../labs/ten-servers'), { defaultProviders: ['fake'] });
    runtime = await testRuntime({
      providers: [new FakeProvider('fake')],
      labs: [
        testLab({ id: 'net', dir, instructions, instructionsFile: 'docs/instructions.md' }),
        testLab({ id: 'secret', dir, hidden: true, instructions: '![photo](images/photo.png)' }),
        { ...tenServers, providers: tenServers.providers.map((p) => ({ ...p, name: 'fake' })) },
      ],
    });
    app = await buildApp(runtime.ctx);
    session = await issueSession(runtime.ctx.keys, { learner: 'ada', context: 'c1', roles: ['Learner'] }, 600);
  });
  after(async () => {
    await app?.close();
    await runtime?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  const labView = async (lab: string) => (await get(`/api/v1/me/labs/${lab}`, { authorization: `Bearer ${session}` })).json().lab as { instructionsHtml: string };

  test('an SVG and a PNG are served with their type, nosniff, a CSP without script and cache headers', async () => {
    const svg = await get('/lab/net/files/images/topology.svg');
    assert.equal(svg.statusCode, 200);
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['x-content-type-options'], 'nosniff');
    assert.match(String(svg.headers['content-security-policy']), /default-src 'none'/);
    assert.doesNotMatch(String(svg.headers['content-security-policy']), /script-src/);
    assert.match(String(svg.headers['content-security-policy']), /sandbox/);
    assert.equal(svg.headers['cache-control'], 'public, max-age=300');
    assert.equal(svg.body, SVG);
    const png = await get('/lab/net/files/images/photo.png');
    assert.equal(png.statusCode, 200);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.deepEqual(png.rawPayload, PNG);
    const again = await get('/lab/net/files/images/photo.png', { 'if-none-match': String(png.headers.etag) });
    assert.equal(again.statusCode, 304, 'a cached copy is revalidated without the body');
  });

  test('scripts, templates, lab.yaml and other non-images are never served', async () => {
    for (const path of ['checks/hello.sh', 'lab.yaml', 'template.yaml', 'docs/instructions.md', 'images/topology.svg.sh']) {
      const response = await get(`/lab/net/files/${path}`);
      assert.equal(response.statusCode, 404, path);
      assert.match(response.json().message, /Only images/);
      assert.doesNotMatch(response.body, /secret-check/);
    }
  });

  test('paths out of the folder are refused: dot segments, encoded ones, hidden files, backslashes', async () => {
    for (const path of ['../net/images/photo.png', '%2e%2e/net/images/photo.png', 'images/%2e%2e/%2e%2e/outside/leak.png', 'images/..%2f..%2foutside%2fleak.png', 'images/.draft.png', 'images//photo.png', 'images%5Cphoto.png', 'images/photo.png%00.sh']) {
      const response = await get(`/lab/net/files/${path}`);
      assert.ok(response.statusCode === 400 || response.statusCode === 404, `${path}: ${response.statusCode}`);
      assert.notEqual(response.headers['content-type'], 'image/png', path);
    }
    assert.equal((await get('/lab/net/files/images/.draft.png')).json().code, 'BAD_REQUEST');
  });

  test('dot segments sent raw over HTTP (no client normalising them) are refused too', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
    for (const path of ['/lab/net/files/../lab.yaml', '/lab/net/files/images/../../outside/leak.png', '/lab/net/files/images/%2e%2e/%2e%2e/outside/leak.png', '/lab/net/files/images/../photo.png']) {
      const response = await raw(path);
      assert.equal(response.status, 400, `${path}: ${response.status} ${response.body}`);
    }
  });

  test('symlinks out of the folder, or to a non-image inside it, and folders are refused', async () => {
    for (const path of ['images/leak.png', 'images/script.png', 'images/folder.png', 'images/missing.png']) {
      const response = await get(`/lab/net/files/${path}`);
      assert.equal(response.statusCode, 404, path);
      assert.doesNotMatch(response.body, /secret-check/);
    }
  });

  test('an unknown lab is a 404 with its own code', async () => {
    const response = await get('/lab/nope/files/images/photo.png');
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'LAB_NOT_FOUND');
  });

  test('relative images in the instructions point at the files route; absolute ones stay; unsafe ones are dropped', async () => {
    const html = (await labView('net')).instructionsHtml;
    assert.match(html, /<img src="\/lab\/net\/files\/images\/topology\.svg" alt="topology" title="The networks">/);
    assert.match(html, /<img src="https:\/\/example\.org\/logo\.png" alt="logo">/);
    assert.doesNotMatch(html, /javascript:/);
  });

  test("a hidden lab's images need the access token of its rendered instructions", async () => {
    assert.equal((await get('/lab/secret/files/images/photo.png')).statusCode, 403);
    const forOtherLab = await signLabFileAccess(runtime.ctx.keys, 'net', 60);
    assert.equal((await get(`/lab/secret/files/images/photo.png?access=${forOtherLab}`)).statusCode, 403);
    assert.equal((await get(`/lab/secret/files/images/photo.png?access=${session}`)).statusCode, 403, 'a session is not an access token');
    const src = /<img src="([^"]+)"/.exec((await labView('secret')).instructionsHtml)?.[1]?.replace(/&amp;/g, '&') ?? '';
    assert.ok(src.startsWith('/lab/secret/files/images/photo.png?access='), src);
    const image = await get(src);
    assert.equal(image.statusCode, 200);
    assert.equal(image.headers['cache-control'], 'private, max-age=300');
    const expired = await signLabFileAccess(runtime.ctx.keys, 'secret', -10);
    assert.equal((await get(`/lab/secret/files/images/photo.png?access=${expired}`)).statusCode, 403);
  });

  test("the ten-servers sample shows its network diagram, served from its folder", async () => {
    const html = (await labView('ten-servers')).instructionsHtml;
    const src = /<img src="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.equal(src, '/lab/ten-servers/files/images/networks.svg');
    const image = await get(src);
    assert.equal(image.statusCode, 200);
    assert.equal(image.headers['content-type'], 'image/svg+xml');
    assert.equal(image.body, readFileSync(join(import.meta.dirname, '../../labs/ten-servers/images/networks.svg'), 'utf8'));
  });
});

test('labImageUrl resolves relative to the instructions file and never above the lab folder', () => {
  const links = { base: '/lab/x/files/', instructionsFile: 'docs/guide.md', query: '' };
  assert.equal(labImageUrl('img/a.png', links), '/lab/x/files/docs/img/a.png');
  assert.equal(labImageUrl('./a b.png', links), '/lab/x/files/docs/a%20b.png');
  assert.equal(labImageUrl('../../../a.png?v=2#top', links), '/lab/x/files/a.png');
  assert.equal(labImageUrl('a.png', { ...links, instructionsFile: 'instructions.md', query: '?access=t' }), '/lab/x/files/a.png?access=t');
  for (const absolute of ['https://example.org/a.png', 'http://example.org/a.png', '/elsewhere/a.png', '#top', 'data:image/png;base64,AAAA']) {
    assert.equal(labImageUrl(absolute, links), undefined, absolute);
  }
});
