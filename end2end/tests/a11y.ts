import AxeBuilder from '@axe-core/playwright';
import { Locator, Page, TestInfo } from '@playwright/test';
import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The accessibility checks every test of the suite gets from `fixtures.ts`:
 *
 * - axe-core's WCAG 2.2 A and AA rules, after each page load and each dialog step: a checker in the
 *   page runs them whenever what is on screen becomes a new "step" (another address, a dialog opened,
 *   closed or on another step, an error shown) and the page has then been quiet for a moment. It runs
 *   in the page, between the test's own actions, so that a step the test passes through quickly is
 *   checked as it was, not as the next one half-built. A last run with `@axe-core/playwright` checks
 *   whatever the test ends on.
 * - On a phone-sized screen (640 px wide or less), at the same moments: nothing scrolls sideways (the
 *   page, an open dialog), a dialog fills the screen with its buttons in view, the header stays one
 *   line, and every control is at least 44×44 px to touch (a checkbox counts its label or its row card,
 *   which take the tap too; a link inside a sentence is exempt, as WCAG's target-size rule says).
 * - Cumulative layout shift (layout shifts not caused by the user's own input), summed over each page
 *   load.
 *
 * Only serious and critical axe violations fail a test; every finding carries the step it was found on.
 */

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const FAILING_IMPACTS = ['serious', 'critical'];
/** The most layout shift a page may have (Core Web Vitals call below 0.1 good; the issue asks 0.05). */
export const MAX_LAYOUT_SHIFT = 0.05;

export type Finding = { step: string; rule: string; impact: string; help: string; targets: string[] };
export type Report = { findings: Finding[]; layoutShift: { step: string; value: number }[]; steps: string[] };

const axeSource = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');

const watched = new WeakSet<Page>();

/**
 * Lets the checker finish with the step on screen before the test acts on it: a test moves on as soon
 * as what it waits for is there, usually well before the page has been quiet for a moment.
 */
async function settle(page: Page) {
  if (!watched.has(page) || page.isClosed()) return;
  // A navigation in progress takes the checker with it; the new page gets its own.
  await page.evaluate(() => (window as any).__a11yIdle?.(true)).catch(() => {});
}

/** What acts on the page: each first lets the checker finish with the step on screen. */
const LOCATOR_ACTIONS = new Set(['check', 'uncheck', 'setChecked', 'click', 'dblclick', 'tap', 'fill', 'clear', 'press',
  'pressSequentially', 'type', 'selectOption', 'selectText', 'setInputFiles', 'hover', 'focus', 'dispatchEvent']);
const KEYBOARD_ACTIONS = new Set(['press', 'type', 'insertText', 'down', 'up']);
const PAGE_ACTIONS = new Set(['goto', 'reload', 'goBack', 'goForward']);

/**
 * `page` as the tests see it (the `page` fixture of `fixtures.ts`): the same page, whose locators,
 * keyboard and navigation let the checker settle before they act. A view of the test's own objects
 * (a Proxy), so Playwright itself is left as it is; every other call goes straight to the real object.
 */
export function settling(page: Page): Page {
  return view(page, PAGE_ACTIONS, page);
}

function view<T extends object>(target: T, actions: Set<string>, page: Page): T {
  return new Proxy(target, {
    get(object, name, receiver) {
      const value = Reflect.get(object, name, receiver);
      if (name === 'keyboard') return view(value, KEYBOARD_ACTIONS, page);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      if (actions.has(name)) {
        return async (...args: unknown[]) => {
          await settle(page);
          return value.apply(object, args);
        };
      }
      // Anything else as it is, except that the locators it makes (`getByRole`, `filter`, `nth`, …)
      // settle too.
      return (...args: unknown[]) => {
        const result = value.apply(object, args);
        return isLocator(result) ? view(result, LOCATOR_ACTIONS, page) : result;
      };
    },
  });
}

function isLocator(value: unknown): value is Locator {
  return typeof value === 'object' && value !== null && value.constructor?.name === 'Locator';
}

/** Installs the checker in every document `page` loads; findings arrive in the returned report. */
export async function watchAccessibility(page: Page): Promise<Report> {
  const report: Report = { findings: [], layoutShift: [], steps: [] };
  await page.exposeBinding('__a11yReport', (_source, json: string) => {
    const found = JSON.parse(json) as { checked?: string; findings: Finding[]; layoutShift: { step: string; value: number } };
    if (found.checked) report.steps.push(found.checked);
    report.findings.push(...found.findings);
    report.layoutShift.push(found.layoutShift);
  });
  await page.addInitScript({ content: axeSource });
  await page.addInitScript(checker, { tags: WCAG_TAGS, impacts: FAILING_IMPACTS });
  watched.add(page);
  return report;
}

/** Waits for the checker's runs in progress, then checks the page as the test left it. */
export async function finishAccessibility(page: Page, report: Report, testInfo: TestInfo) {
  if (page.isClosed()) return;
  const step = await page
    .evaluate(() => (window as any).__a11yIdle?.())
    .catch(() => null);
  if (step === null || step === undefined) return; // Not one of the portal's pages (a download, a closed page).
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  report.steps.push(`${step} (end of test)`);
  for (const violation of results.violations) {
    if (!FAILING_IMPACTS.includes(violation.impact ?? '')) continue;
    report.findings.push({
      step: `${step} (end of test)`,
      rule: violation.id,
      impact: violation.impact ?? '',
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    });
  }
  await testInfo.attach('accessibility', { body: JSON.stringify(report, null, 2), contentType: 'application/json' });
  // A11Y_LOG=file collects every test's steps, findings and worst layout shift (for a summary).
  if (process.env.A11Y_LOG) {
    const worst = Math.max(0, ...report.layoutShift.map((shift) => shift.value));
    const line = { test: testInfo.titlePath.slice(1).join(' › '), project: testInfo.project.name, steps: report.steps, findings: report.findings, worstLayoutShift: worst };
    appendFileSync(process.env.A11Y_LOG, `${JSON.stringify(line)}\n`);
  }
}

/** One line per finding, for a failing expectation's message. */
export function describe(findings: Finding[]): string {
  return findings
    .map((f) => `${f.step}: ${f.rule} (${f.impact}) ${f.help}: ${f.targets.slice(0, 5).join(', ')}`)
    .join('\n');
}

/** Runs in the page (it is serialised by `addInitScript`): it may use nothing from this module. */
function checker({ tags, impacts }: { tags: string[]; impacts: string[] }) {
  const w = window as any;
  if (w.__a11yIdle || window.top !== window) return;
  // Only the portal's own pages (they carry its stylesheet): not a test's stand-in for another site,
  // nor the text a server function answers a plain form post with.
  const ours = () => document.getElementById('leptos') !== null;
  const QUIET_MS = 300;
  const PHONE_WIDTH = 640;
  const TOUCH_PX = 44;

  const visible = (el: Element) => {
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden' && el.closest('.visually-hidden') === null;
  };
  const openDialog = () => document.querySelector('dialog[open]');
  const stepName = () => {
    const dialog = openDialog();
    const title = dialog ? dialog.querySelector('h2')?.textContent?.trim() : '';
    const alerts = document.querySelectorAll('[role="alert"], [aria-invalid="true"]').length;
    return `${location.pathname}${location.search}${dialog ? ` [dialog "${title}"]` : ''}${alerts ? ` [${alerts} alert(s)]` : ''}`;
  };
  const name = (el: Element) =>
    `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`;

  // The browser leaves out shifts within 500 ms of the user's input (a tap, a key), which moved things on
  // purpose. Playwright's fill() and selectOption() send no key or pointer event, only `input` and
  // `change`, so those count as input here too.
  const INPUT_GRACE_MS = 500;
  let lastInput = -Infinity;
  for (const type of ['input', 'change']) {
    window.addEventListener(type, () => (lastInput = performance.now()), { capture: true });
  }
  // A search or a filter changes the address a moment after its input (the search waits for typing to
  // pause, then for the server's answer), and the rows it brings move because the user asked: an
  // address that changes soon after an input counts as that input, as a tap on a link would.
  const FOLLOWS_INPUT_MS = 2000;
  (window as any).navigation?.addEventListener('currententrychange', () => {
    if (performance.now() - lastInput < FOLLOWS_INPUT_MS) lastInput = performance.now();
  });
  let layoutShift = 0;
  // What moved most, to say where a shift came from.
  let moved: { value: number; what: string }[] = [];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as any[]) {
        if (entry.hadRecentInput || entry.startTime - lastInput < INPUT_GRACE_MS) continue;
        layoutShift += entry.value;
        const what = (entry.sources ?? [])
          .map((source: any) => (source.node instanceof Element ? name(source.node) : source.node?.nodeName ?? '?'))
          .join(', ');
        moved = [...moved, { value: entry.value, what: `${stepName()}: ${what}` }].sort((a, b) => b.value - a.value).slice(0, 3);
      }
    }).observe({ type: 'layout-shift', buffered: true });
  } catch {
    // A browser without the Layout Instability API measures none.
  }

  const describeShift = () =>
    `${stepName()}${moved.length ? ` (moved most: ${moved.map((m) => `${m.value.toFixed(3)} ${m.what}`).join('; ')})` : ''}`;

  /** What a phone-sized screen must hold; an empty list when the screen is wider. */
  function phoneProblems(step: string) {
    const found: any[] = [];
    if (window.innerWidth > PHONE_WIDTH) return found;
    const problem = (rule: string, help: string, targets: string[]) =>
      found.push({ step, rule, impact: 'serious', help, targets });
    const root = document.scrollingElement ?? document.documentElement;
    if (root.scrollWidth > window.innerWidth + 1) {
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && visible(el))
        .slice(0, 5);
      problem('sideways-scroll', `the page is ${root.scrollWidth}px wide on a ${window.innerWidth}px screen`, wide.map(name));
    }
    const header = document.querySelector('.topbar');
    if (header) {
      const tops = [...header.querySelectorAll(':scope > *')].filter(visible).map((el) => el.getBoundingClientRect());
      const wrapped = tops.some((rect) => rect.top >= tops[0].bottom - 1);
      const overflowing = [...header.querySelectorAll('*')].filter(
        (el) => visible(el) && el.getBoundingClientRect().right > window.innerWidth + 1,
      );
      if (wrapped || overflowing.length)
        problem('header-one-line', 'the header wraps or runs off the screen', overflowing.map(name));
    }
    const dialog = openDialog();
    if (dialog) {
      const rect = dialog.getBoundingClientRect();
      if (rect.width < window.innerWidth - 1 || rect.height < window.innerHeight - 1)
        problem('dialog-full-screen', `the dialog is ${Math.round(rect.width)}×${Math.round(rect.height)} on a ${window.innerWidth}×${window.innerHeight} screen`, [name(dialog)]);
      if (dialog.scrollWidth > dialog.clientWidth + 1) problem('sideways-scroll', 'the dialog scrolls sideways', [name(dialog)]);
      const offscreen = [...dialog.querySelectorAll('.actions button')].filter((button) => {
        const box = button.getBoundingClientRect();
        return visible(button) && (box.bottom > window.innerHeight + 1 || box.top < -1);
      });
      if (offscreen.length) problem('dialog-buttons-in-view', "the dialog's buttons are not in view", offscreen.map(name));
    }
    const controls = document.querySelectorAll(
      'button, a[href], input:not([type="hidden"]), select, textarea, summary, [role="button"]',
    );
    const small: string[] = [];
    for (const el of controls) {
      if (!visible(el) || (dialog && !dialog.contains(el))) continue;
      let target: Element = el;
      if (el.matches('input[type="checkbox"], input[type="radio"]')) {
        target = el.closest('label') ?? el.closest('tr') ?? el;
      }
      const parent = el.parentElement;
      const inline =
        el.matches('a') &&
        parent !== null &&
        [...parent.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent!.trim() !== '');
      if (inline) continue;
      const box = target.getBoundingClientRect();
      if (box.width < TOUCH_PX - 0.5 || box.height < TOUCH_PX - 0.5)
        small.push(`${name(el)} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    if (small.length) problem('touch-target-44', 'controls smaller than 44×44 px', small);
    return found;
  }

  let queue = Promise.resolve();
  let checked = '';
  let timer: number | undefined;
  let pending = false;
  const report = (json: string) => w.__a11yReport?.(json).catch?.(() => {});

  async function check() {
    const step = stepName();
    if (step === checked || !ours()) return;
    checked = step;
    const findings: any[] = [];
    try {
      const results = await w.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      for (const v of results.violations) {
        if (!impacts.includes(v.impact)) continue;
        findings.push({ step, rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n: any) => n.target.join(' ')) });
      }
    } catch (error) {
      // The page changed under axe (a navigation): the next step is checked instead.
      checked = '';
      return;
    }
    findings.push(...phoneProblems(step));
    report(JSON.stringify({ checked: step, findings, layoutShift: { step: describeShift(), value: layoutShift } }));
  }

  /** Checks the step now if one is waiting; resolves when every check so far is done. */
  const flush = () => {
    clearTimeout(timer);
    if (pending) {
      pending = false;
      queue = queue.then(check);
    }
    return queue;
  };
  const schedule = () => {
    if (stepName() === checked) return;
    pending = true;
    clearTimeout(timer);
    timer = window.setTimeout(flush, QUIET_MS);
  };
  // The page "loads" once the WebAssembly has hydrated it (frontend/src/lib.rs marks <html>); a page
  // that never hydrates (an error page of the server's) is checked once its document has loaded.
  const start = () => {
    new MutationObserver(schedule).observe(document.documentElement, {
      subtree: true, childList: true, attributes: true, characterData: true,
    });
    schedule();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();

  /** Resolves, once no check is waiting or running, with the step as it then is; `now`: without
   * first waiting for the page to be quiet (the test is about to act on it). */
  w.__a11yIdle = async (now = false) => {
    if (!now) await new Promise((resolve) => setTimeout(resolve, QUIET_MS + 50));
    await flush();
    report(JSON.stringify({ findings: [], layoutShift: { step: describeShift(), value: layoutShift } }));
    return ours() ? stepName() : null;
  };
}
