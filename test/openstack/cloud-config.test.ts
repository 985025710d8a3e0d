/**
 * Where credentials come from: explicit auth > clouds.yaml entry (cloud or OS_CLOUD, with
 * secure.yaml merged) > OS_* variables, and the files searched in OpenStack's order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '../../src/providers/provider.ts';
import { keystoneV3Url, resolveCloud } from '../../src/providers/openstack/cloud-config.ts';
import { parseOpenStackOptions } from '../../src/providers/openstack/options.ts';

describe('cloud resolution', () => {
  let root: string;
  let cwd: string;
  let home: string;
  let etcDir: string;
  const write = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'stacklab-clouds-'));
    cwd = join(root, 'cwd');
    home = join(root, 'home');
    etcDir = join(root, 'etc');
    mkdirSync(cwd, { recursive: true });
    write(
      join(home, '.config/openstack/clouds.yaml'),
      `clouds:
  home-cloud:
    region_name: RegionTwo
    interface: internal
    auth:
      auth_url: https://keystone.example.org:5000
      username: alice
      project_name: labs
      user_domain_name: Example
      project_domain_name: Example
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.org/v3/
      application_credential_id: ac-42
`,
    );
    write(join(home, '.config/openstack/secure.yaml'), 'clouds:\n  home-cloud:\n    auth:\n      password: from-secure-yaml\n  appcred:\n    auth:\n      application_credential_secret: ac-secret\n');
    write(join(etcDir, 'clouds.yaml'), 'clouds:\n  etc-cloud:\n    auth: { auth_url: "https://etc.example.org/v3", username: bob, password: pw, project_id: p1 }\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const OS_ENV = { OS_AUTH_URL: 'http://env.example.org:5000/v3', OS_USERNAME: 'envuser', OS_PASSWORD: 'envpw', OS_PROJECT_NAME: 'envproj', OS_REGION_NAME: 'EnvRegion' };

  test('a named cloud from ~/.config/openstack, with secure.yaml merged in', () => {
    const c = resolveCloud(parseOpenStackOptions({ cloud: 'home-cloud' }), { env: OS_ENV, cwd, home, etcDir });
    assert.equal(c.authUrl, 'https://keystone.example.org:5000/v3');
    assert.equal(c.method, 'password');
    assert.equal(c.auth.username, 'alice');
    assert.equal(c.auth.password, 'from-secure-yaml');
    assert.equal(c.region, 'RegionTwo');
    assert.equal(c.interface, 'internal');
    assert.match(c.source, /clouds\.yaml \(cloud home-cloud\)$/);
    assert.ok(!c.source.includes('from-secure-yaml'));
  });

  test('OS_CLOUD picks the entry when the options name none; options still win for region', () => {
    const c = resolveCloud(parseOpenStackOptions({ region: 'Mine' }), { env: { ...OS_ENV, OS_CLOUD: 'appcred' }, cwd, home, etcDir });
    assert.equal(c.method, 'application_credential');
    assert.equal(c.auth.application_credential_secret, 'ac-secret');
    assert.equal(c.authUrl, 'https://keystone.example.org/v3');
    assert.equal(c.region, 'Mine');
    assert.equal(c.interface, 'public');
  });

  test('./clouds.yaml is searched before the home folder, and /etc last', () => {
    write(join(cwd, 'clouds.yaml'), 'clouds:\n  home-cloud:\n    auth: { auth_url: "https://cwd.example.org", username: carol, password: pw, project_name: x }\n');
    try {
      const c = resolveCloud(parseOpenStackOptions({ cloud: 'home-cloud' }), { env: {}, cwd, home, etcDir });
      assert.equal(c.auth.username, 'carol');
      assert.equal(c.auth.password, 'from-secure-yaml', 'secure.yaml is searched on its own and merged over the entry');
    } finally {
      rmSync(join(cwd, 'clouds.yaml'));
    }
    const emptyHome = join(root, 'nohome');
    const e = resolveCloud(parseOpenStackOptions({ cloud: 'etc-cloud' }), { env: {}, cwd, home: emptyHome, etcDir });
    assert.equal(e.auth.username, 'bob');
    assert.equal(e.authUrl, 'https://etc.example.org/v3');
  });

  test('explicit auth wins over clouds.yaml and the environment', () => {
    const c = resolveCloud(
      parseOpenStackOptions({ cloud: 'home-cloud', auth: { auth_url: 'http://explicit:5000/', user_id: 'u1', password: 'p', project_id: 'pid' } }),
      { env: OS_ENV, cwd, home, etcDir },
    );
    assert.equal(c.auth.user_id, 'u1');
    assert.equal(c.authUrl, 'http://explicit:5000/v3');
    assert.equal(c.region, 'RegionTwo', 'region still comes from the named cloud');
    assert.equal(c.source, 'provider options');
  });

  test('OS_* variables when nothing else is given', () => {
    const c = resolveCloud(parseOpenStackOptions({}), { env: { ...OS_ENV, OS_INTERFACE: 'admin' }, cwd, home, etcDir });
    assert.equal(c.auth.username, 'envuser');
    assert.equal(c.auth.project_name, 'envproj');
    assert.equal(c.region, 'EnvRegion');
    assert.equal(c.interface, 'admin');
    assert.equal(c.source, 'OS_* environment variables');
  });

  test('missing or incomplete credentials are refused at start with a reason for the operator', () => {
    const refused = (fn: () => unknown, detail: RegExp) =>
      assert.throws(fn, (e: unknown) => e instanceof ProviderError && e.code === 'AUTH_FAILED' && detail.test(e.detail) && !/pw/.test(e.userMessage));
    refused(() => resolveCloud(parseOpenStackOptions({}), { env: {}, cwd, home, etcDir }), /OS_AUTH_URL is missing/);
    refused(() => resolveCloud(parseOpenStackOptions({ cloud: 'nope' }), { env: {}, cwd, home, etcDir }), /cloud "nope" is not in/);
    refused(() => resolveCloud(parseOpenStackOptions({ cloud: 'x' }), { env: {}, cwd, home: join(root, 'none'), etcDir: join(root, 'none') }), /no clouds\.yaml found/);
    refused(() => resolveCloud(parseOpenStackOptions({ auth: { auth_url: 'http://k/v3', username: 'a', password: 'pw' } }), { env: {} }), /needs a project/);
    refused(() => resolveCloud(parseOpenStackOptions({ auth: { auth_url: 'http://k/v3', application_credential_name: 'n', application_credential_secret: 's' } }), { env: {} }), /its id, or its name and the user/);
  });

  test('options: defaults, and unknown keys refused', () => {
    const s = parseOpenStackOptions({});
    assert.equal(s.concurrency, 8);
    assert.equal(s.request_timeout_seconds, 30);
    assert.throws(() => parseOpenStackOptions({ concurency: 3 } as never));
    assert.throws(() => parseOpenStackOptions({ interface: 'private' } as never));
    assert.equal(keystoneV3Url('http://k:5000'), 'http://k:5000/v3');
    assert.equal(keystoneV3Url('http://k:5000/v2.0/'), 'http://k:5000/v3');
    assert.equal(keystoneV3Url('https://k/identity/v3/'), 'https://k/identity/v3');
  });
});
