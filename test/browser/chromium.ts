import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { TEST_ADMIN_KEY } from '../../libs/auth/test/test-keys';

/** Debian's Chromium (`apt-get install -y chromium`; `.ci/run` installs it): no browser download needed. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const SCREENSHOTS = resolve(__dirname, '../../test-output/screenshots');
const AXE = resolve(__dirname, '../../node_modules/axe-core/axe.min.js');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Says why a browser spec is skipped, so a missing browser never passes silently. */
export function warnIfNoChromium(spec: string): void {
  if (!hasChromium) console.warn(`SKIPPED ${spec}: ${CHROMIUM} is missing (apt-get install -y chromium).`);
}

export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height: 900 },
    // axe is injected as a script tag; the app's CSP (script-src 'self') would rightly block it.
    bypassCSP: true,
  });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Runs axe-core in the page; one line per serious or critical violation (an empty list passes). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Marks the page; `stillSamePage` is true only if it has not been reloaded or navigated since. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
}

export function stillSamePage(page: Page): Promise<boolean | undefined> {
  return page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded);
}

/** Signs the browser in through the dashboard's login form (the test apps accept TEST_ADMIN_KEY); cookies are per context. */
export async function signInBrowser(context: BrowserContext, dashboardUrl: string, key: string = TEST_ADMIN_KEY): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${dashboardUrl}/login`);
  await page.fill('#login-key', key);
  await Promise.all([page.waitForURL(`${dashboardUrl}/`), page.click('button[type="submit"]')]);
  await page.close();
}
