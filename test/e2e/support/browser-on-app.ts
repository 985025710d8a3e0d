/** A test app listening on a free port and a Chromium to open its pages: the set-up of the page tests. */
import { chromium, type Browser } from 'playwright-core';
import type { TestApp } from '../../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './e2e-world.ts';

export async function browserOnApp(server: TestApp): Promise<{ base: string; browser: Browser }> {
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return { base, browser };
}
