import { test as base, expect, Locator, Page, TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { describe, finishAccessibility, MAX_LAYOUT_SHIFT, settling, watchAccessibility } from './a11y';

/**
 * Every test of the suite runs with this `test`: it fails a test in which the browser reported a
 * Content-Security-Policy violation (a blocked script, style or connection), so that every page and
 * dialog the suite walks through is proven to work under the portal's policy. `cspViolations` holds
 * them, for the one test that provokes a violation on purpose. It also fails a test in which a page
 * or dialog step the test passed through has a serious accessibility problem, or a page shifted its
 * layout (`a11y.ts`).
 */
export const test = base.extend<{ cspViolations: string[]; jobs: Jobs }>({
  jobs: async ({}, use) => {
    const held = new Set<string>();
    await use({
      hold(domain) {
        held.add(domain);
        switchboard('jobs', 'hold', '--domain', domain);
      },
      letThrough(domain, users) {
        switchboard('jobs', 'release', '--domain', domain, '--users', String(users));
      },
      release(domain) {
        held.delete(domain);
        switchboard('jobs', 'release', '--domain', domain);
      },
    });
    // A test that failed half-way leaves no domain held for the next one.
    for (const domain of held) switchboard('jobs', 'release', '--domain', domain);
  },
  // The checks of `a11y.ts` run for every test: the page the test gets lets them settle before it acts.
  page: async ({ page }, use, testInfo) => {
    // E2E_CONSOLE=1 prints what the page logs and throws (a hydration panic, say) while working on a test.
    if (process.env.E2E_CONSOLE) {
      page.on('console', (message) => console.log(`[console.${message.type()}] ${message.text()}`));
      page.on('pageerror', (error) => console.log(`[pageerror] ${error.message}`));
    }
    const report = await watchAccessibility(page);
    await use(settling(page));
    await finishAccessibility(page, report, testInfo);
    expect(report.findings, `accessibility problems:\n${describe(report.findings)}`).toEqual([]);
    const worst = report.layoutShift.reduce((most, shift) => (shift.value > most.value ? shift : most), {
      step: '',
      value: 0,
    });
    expect(worst.value, `cumulative layout shift of ${worst.step}`).toBeLessThan(MAX_LAYOUT_SHIFT);
  },
  cspViolations: [
    async ({ page }, use) => {
      const violations: string[] = [];
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          console.error(`Content-Security-Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
        });
      });
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content[- ]Security[- ]Policy/i.test(message.text())) {
          violations.push(message.text());
        }
      });
      await use(violations);
      expect(violations, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/**
 * The operator's hold on a domain's bulk jobs (`switchboard jobs hold` and `release`), for a test that
 * must see a job part-way: it holds the domain before starting the job, lets users through a known
 * number at a time, and so never races the worker, however fast or slow the machine is.
 */
export interface Jobs {
  /** No more of the domain's users are processed, and its scheduled jobs wait past their time. */
  hold(domain: string): void;
  /** `users` more of them are processed, then the domain is held again. */
  letThrough(domain: string, users: number): void;
  release(domain: string): void;
}

/** The server's command line, on the database the end-to-end server serves (scripts/e2e.sh). */
function switchboard(...args: string[]) {
  const bin = process.env.SWITCHBOARD_BIN;
  if (!bin) throw new Error('SWITCHBOARD_BIN is not set: run the suite with scripts/e2e.sh');
  execFileSync(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

// Created by scripts/e2e.sh with these passwords.
export const manager = { login: '190@demo.example', password: 'e2e-manager-password' };
/** The Office Manager of many.example, whose 110 users two searches split in halves (scripts/e2e.sh). */
export const manyManager = { login: '190@many.example', password: 'e2e-many-password' };
/** The Office Manager of hires.example, where schedule.spec.ts recycles from a spreadsheet and schedules resets. */
export const hiresManager = { login: '190@hires.example', password: 'e2e-hires-password' };
/** The Office Manager of access.example, where the keyboard walk and the accessibility tours work. */
export const accessManager = { login: '190@access.example', password: 'e2e-access-password' };
/** The Office Manager of crowd.example, 45 users per project for a long Recycle Users form (scripts/e2e.sh). */
export const crowdManager = { login: '190@crowd.example', password: 'e2e-crowd-password' };
export const basic = { login: '191@demo.example', password: 'e2e-basic-password' };
/** A Basic User whose password reset the tests force: 192 for the desktop project, 193 for the phone. */
export function forced(project: string) {
  return { login: project === 'phone' ? '193@demo.example' : '192@demo.example', password: 'e2e-forced-password' };
}

/** Locked out by the sign-in tests (security.spec.ts): 990 for the desktop project, 991 for the phone (off the Users page's first page, which the other tests use). */
export function locked(project: string) {
  return { login: project === 'phone' ? '991@demo.example' : '990@demo.example', password: 'e2e-locked-password' };
}

/** The page's buttons work once its WebAssembly has hydrated it (frontend/src/lib.rs marks the page):
 * wait for that rather than click too soon. */
export async function hydrated(page: Page) {
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
}

/**
 * Records the requests the page sends from now on. `busiest()` is the largest number of times one
 * request (method and address) was sent within any one second: live progress is pushed by the server,
 * not asked for over and over.
 */
export function watchRequests(page: Page) {
  const sent: { key: string; at: number }[] = [];
  page.on('request', (request) => sent.push({ key: `${request.method()} ${request.url()}`, at: Date.now() }));
  return {
    sent: () => sent.map((request) => request.key),
    busiest() {
      let most = { key: '', times: 0 };
      for (const [i, request] of sent.entries()) {
        const times = sent.slice(i).filter((other) => other.key === request.key && other.at - request.at < 1000).length;
        if (times > most.times) most = { key: request.key, times };
      }
      return most;
    },
  };
}

export async function signIn(page: Page, who: { login: string; password: string }) {
  await page.goto('/login');
  await page.getByLabel('Login').fill(who.login);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByRole('button', { name: 'Log Out' })).toBeVisible();
}

// Each project (desktop, phone) works on its own extensions of demo.example, apart from the ones
// users.spec.ts looks at.
export function extensions(testInfo: TestInfo, offset: number, count: number): string[] {
  const base = testInfo.project.name === 'phone' ? 204 : 230;
  return Array.from({ length: count }, (_, i) => String(base + offset + i));
}

export function checkbox(page: Page, extension: string) {
  return page.getByRole('checkbox', { name: new RegExp(`^Select ${extension}\\b`) });
}

export function rowOf(page: Page, extension: string) {
  return page.getByRole('row').filter({ has: checkbox(page, extension) });
}

export async function openUsers(page: Page) {
  await signIn(page, manager);
  await expect(page).toHaveURL(/\/domains\/demo\.example\/users$/);
  // Page 1 shows the admins and 201–244; the tests' users are all on it.
  await expect(checkbox(page, '201')).toBeVisible();
  await hydrated(page);
}

/** Ticks the users, opens Bulk Action and goes on to the Reset Users step. */
export async function resetStep(page: Page, users: string[]) {
  for (const extension of users) await checkbox(page, extension).check();
  await page.getByRole('button', { name: `Bulk Action (${users.length})` }).click();
  const actions = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(actions.getByRole('listitem')).toHaveCount(users.length);
  await actions.getByRole('button', { name: 'Reset Users' }).click();
  const step = page.getByRole('dialog', { name: 'Reset Users' });
  await expect(step).toBeVisible();
  return step;
}

/** From the Reset Users step: ticks Recycle Users, resets, waits for the end and goes on to the
 * Recycle Users form, which it returns. */
export async function resetAndRecycle(page: Page, step: Locator) {
  await step.getByRole('checkbox', { name: 'Recycle Users' }).check();
  await step.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('dialog', { name: 'Confirm Reset' }).getByRole('button', { name: 'Reset', exact: true }).click();
  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(progress.getByText('Reset complete')).toBeVisible({ timeout: 30_000 });
  await progress.getByRole('button', { name: 'Next' }).click();
  return page.getByRole('dialog', { name: 'Recycle Users' });
}
