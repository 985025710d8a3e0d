/**
 * Proves the emulator speaks standard LTI 1.3: ltijs (an IMS-certified tool library, on PostgreSQL
 * through ltijs-sequelize) launches through it, posts a grade to its line item and answers a deep
 * linking request the emulator accepts. If the emulator drifted from the spec, this is where it shows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { postgresAvailable, POSTGRES_URL } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { MiniBrowser } from './emulator/mini-browser.ts';
import { OpenEdxEmulator } from './emulator/open-edx-emulator.ts';

interface LtijsToken {
  user: string;
  platformContext: { endpoint?: { lineitem?: string }; custom?: Record<string, string>; context?: { id: string } };
}
type Handler = (token: LtijsToken, req: unknown, res: { send(body: string): void; status(code: number): { send(body: string): void } }) => Promise<void>;
interface Ltijs {
  setup(key: string, db: { plugin: unknown }, options: Record<string, unknown>): Ltijs;
  onConnect(fn: Handler): void;
  onDeepLinking(fn: Handler): void;
  deploy(options: { port: number; silent: boolean }): Promise<void>;
  close(options: { silent: boolean }): Promise<void>;
  registerPlatform(platform: Record<string, unknown>): Promise<unknown>;
  Grade: { submitScore(token: LtijsToken, lineItemId: string, score: Record<string, unknown>): Promise<unknown> };
  DeepLinking: { createDeepLinkingForm(token: LtijsToken, items: unknown[], options: Record<string, unknown>): Promise<string> };
}

const require = createRequire(import.meta.url);
const COURSE = 'course-v1:IMS+CERT+2026';
const CLIENT_ID = 'ltijs-client';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const skip = skipUnless(await postgresAvailable(), `PostgreSQL at ${POSTGRES_URL} (ltijs-sequelize needs it)`);

describe('ltijs (IMS-certified tool library) against the Open edX emulator', { skip }, () => {
  const dbName = `stacklab_ltijs_${randomBytes(4).toString('hex')}`;
  let emulator: OpenEdxEmulator;
  let lti: Ltijs;
  let base: string;
  const graded: Array<{ user: string; result: unknown }> = [];

  before(async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(POSTGRES_URL);
    const Database = require('ltijs-sequelize') as new (db: string, user: string, pass: string, options: Record<string, unknown>) => unknown;
    const plugin = new Database(dbName, decodeURIComponent(url.username || 'postgres'), decodeURIComponent(url.password), {
      host: url.hostname,
      port: Number(url.port || 5432),
      dialect: 'postgres',
      logging: false,
    });
    lti = (require('ltijs') as { Provider: Ltijs }).Provider;
    lti.setup(randomBytes(16).toString('hex'), { plugin }, { appRoute: '/', loginRoute: '/login', keysetRoute: '/keys', cookies: { secure: false, sameSite: 'Lax' }, devMode: false, tokenMaxAge: 60 });
    lti.onConnect(async (token, _req, res) => {
      const lineItem = token.platformContext.endpoint?.lineitem;
      if (!lineItem) return res.status(400).send('no line item in the launch');
      const result = await lti.Grade.submitScore(token, lineItem, { scoreGiven: 7, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded' });
      graded.push({ user: token.user, result });
      res.send(`ltijs launched user=${token.user} context=${token.platformContext.context?.id} lab=${token.platformContext.custom?.lab}`);
    });
    lti.onDeepLinking(async (token, _req, res) => {
      const form = await lti.DeepLinking.createDeepLinkingForm(
        token,
        [{ type: 'ltiResourceLink', title: 'Linux basics', url: `${base}/`, custom: { lab: 'linux-basics' }, lineItem: { scoreMaximum: 10, label: 'Linux basics' } }],
        { message: 'added' },
      );
      res.send(form);
    });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await lti.deploy({ port, silent: true });
    emulator = await OpenEdxEmulator.start({ host: 'localhost' });
    await lti.registerPlatform({
      url: emulator.issuer,
      name: 'Open edX emulator',
      clientId: CLIENT_ID,
      authenticationEndpoint: emulator.registration.auth_login_url,
      accesstokenEndpoint: emulator.registration.token_url,
      authConfig: { method: 'JWK_SET', key: emulator.registration.jwks_url },
    });
    emulator.registerTool({ clientId: CLIENT_ID, deploymentId: '1', loginUrl: `${base}/login`, launchUrl: `${base}/`, redirectUris: [`${base}/`], keysetUrl: `${base}/keys` });
  });

  after(async () => {
    await lti?.close({ silent: true });
    await emulator?.stop();
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  test('ltijs accepts the launch (its own id_token checks) and its score reaches the gradebook', async () => {
    const user = emulator.addUser('ims-learner', 'student');
    const block = emulator.addBlock({ courseKey: COURSE, custom: { lab: 'linux-basics' }, weight: 10 });
    const browser = new MiniBrowser();
    const page = await browser.submit(await browser.get(emulator.loginInitiationUrl(user, block)));
    assert.equal(page.status, 200, page.text);
    assert.equal(page.text, `ltijs launched user=${user.sub} context=${COURSE} lab=linux-basics`);
    assert.equal(emulator.ags.grade(block, user.sub), 0.7);
    assert.equal(emulator.ags.scorePosts.at(-1)?.status, 201);
  });

  test('ltijs answers a deep-linking request and the emulator accepts its response', async () => {
    const instructor = emulator.addUser('ims-instructor', 'instructor');
    const block = emulator.addBlock({ courseKey: COURSE, deepLinking: true, agsMode: 'programmatic' });
    const browser = new MiniBrowser();
    const form = await browser.submit(await browser.get(emulator.loginInitiationUrl(instructor, block, 'LtiDeepLinkingRequest')));
    const saved = await browser.submit(form);
    assert.equal(saved.status, 200, saved.text);
    const outcome = emulator.dl.outcomes.at(-1)!;
    assert.equal(outcome.ok, true, outcome.error);
    assert.deepEqual(outcome.items?.[0].custom, { lab: 'linux-basics' });
    assert.equal(emulator.ags.lineItemOf(block)?.scoreMaximum, 10);
  });
});
