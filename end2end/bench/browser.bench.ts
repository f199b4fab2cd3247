import { Browser, Page, devices, expect, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { isBundle, recordNetwork } from '../tests/network';

// The browser part of `make bench` (scripts/bench-browser.sh seeds the demo domain with 10,000 users,
// adds this manager and serves the release build): how fast the Users page is on a phone, measured
// the way Lighthouse's mobile profile measures, and what a progress dialog costs. Figures over target
// are printed as such; nothing here fails CI.

const manager = { login: '190@demo.example', password: 'bench-manager-password' };
const USERS = '/domains/demo.example/users';
const SITE_PKG = process.env.SITE_PKG ?? path.join(__dirname, '../../target/site/pkg');
const RESULTS = path.join(__dirname, '../../bench/results.md');
const SECTION = '## In the browser';
/** Lighthouse's "slow 4G": 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up. */
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
const RUNS = 3;
const PHONE = devices['Pixel 7'];
const DESKTOP = devices['Desktop Chrome'];
type Device = typeof PHONE;

/** A signed-in page of a browser context of its own (cache, cookies), closed with `done`. */
async function signedIn(browser: Browser, device: Device) {
  const context = await browser.newContext({ ...device });
  const page = await context.newPage();
  await signIn(page);
  return { page, done: () => context.close() };
}

type Row = { figure: string; measured: number; unit: string; target?: number; before?: string };
const rows: Row[] = [];
const kb = (bytes: number) => Math.round(bytes / 102.4) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function signIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Login').fill(manager.login);
  await page.getByLabel('Password').fill(manager.password);
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByRole('button', { name: 'Log Out' })).toBeVisible();
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
}

/** The Users page loaded from nothing (cache off) under `cpu`× slowdown and, if given, a throttled
 * network: when it first painted, when a tap on a row first updated "Bulk Action (1)", and the bytes. */
async function pageLoad(browser: Browser, device: Device, cpu: number, network?: typeof SLOW_4G) {
  const { page, done } = await signedIn(browser, device);
  const recorder = await recordNetwork(page);
  await recorder.cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await recorder.cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
  if (network) await recorder.cdp.send('Network.emulateNetworkConditions', network);
  await page.addInitScript(() => {
    const marks = ((window as any).__bench = { tick: 0, tap: 0 });
    document.addEventListener('click', (event) => {
      if (!marks.tap && (event.target as Element).matches?.('input[type=checkbox]')) marks.tap = performance.now();
    }, true);
    new MutationObserver(() => {
      if (!marks.tick && [...document.querySelectorAll('button')].some((b) => b.textContent === 'Bulk Action (1)')) {
        marks.tick = performance.now();
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  recorder.clear();
  await page.goto(USERS, { waitUntil: 'commit' });
  // Tap the first row the moment it can be tapped, as an impatient user would: the tap works if the
  // page keeps it until the app wakes and counts it ("Bulk Action (1)").
  const box = page.getByRole('checkbox', { name: /^Select \d/ }).first();
  await box.click({ timeout: 30_000 });
  await page.waitForFunction(() => (window as any).__bench.tick, undefined, { timeout: 60_000 });
  await expect(box).toBeChecked();
  const { tick, counted, paint, wait } = await page.evaluate(() => {
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return {
      tick: (window as any).__bench.tap as number,
      counted: (window as any).__bench.tick as number,
      paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
      // From the request leaving to the first byte of the page: the server's time plus one round trip.
      wait: navigation.responseStart - navigation.requestStart,
    };
  });
  await page.waitForTimeout(1000);
  const transfers = recorder.transfers();
  const wasm = transfers.find((t) => t.url.endsWith('.wasm'))?.bytes ?? NaN;
  const bundle = transfers.filter((t) => isBundle(t.url)).reduce((sum, t) => sum + t.bytes, 0);
  await done();
  return { tick, counted, paint, wait, bytes: recorder.bytes(), wasm, bundle };
}

/** A second visit with the cache on: the bytes of bundle files that came over the wire again. */
async function repeatVisit(browser: Browser, device: Device) {
  const { page, done } = await signedIn(browser, device);
  await page.goto(USERS);
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  const recorder = await recordNetwork(page);
  await page.goto(USERS);
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  await page.waitForTimeout(500);
  const bundle = recorder.transfers().filter((t) => isBundle(t.url));
  const bytes = bundle.reduce((sum, t) => sum + t.bytes, 0);
  await done();
  return { bytes, files: bundle.length, total: recorder.bytes() };
}

/** Main-thread time from a click to the count updated and laid out (what the next frame paints),
 * median of 21 clicks, for a row's checkbox and for "Select all on this page". */
async function tickCost(browser: Browser, device: Device, cpu: number) {
  const { page, done } = await signedIn(browser, device);
  await page.goto(USERS);
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
  const measure = (selector: string) =>
    page.evaluate(async (selector) => {
      const bulk = () => [...document.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Bulk Action'))!;
      const times: number[] = [];
      let late = 0;
      for (let i = 0; i < 21; i++) {
        const boxes = document.querySelectorAll<HTMLInputElement>(selector);
        const box = boxes[i % Math.min(5, boxes.length)];
        const before = bulk().textContent;
        // Start just after a frame, as a real tap lands between frames.
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        let framed = false;
        requestAnimationFrame(() => (framed = true));
        const start = performance.now();
        box.click();
        while (bulk().textContent === before) await Promise.resolve().then(() => new Promise((r) => setTimeout(r, 0)));
        bulk().getBoundingClientRect();
        times.push(performance.now() - start);
        if (framed) late++;
      }
      times.sort((a, b) => a - b);
      return { median: times[10], late };
    }, selector);
  const tick = await measure('tbody input[type=checkbox]');
  const all = await measure('.tick-page input[type=checkbox]');
  await done();
  return { tick, all };
}

/** From a tap on "Bulk Action (1)" to its dialog painted, in an awake page under `cpu`× slowdown over
 * slow 4G: the first time (its steps' part of the bundle fetched), and again after a reload (the part
 * then comes from the browser's cache, but is loaded into the new page again). */
async function dialogOpen(browser: Browser, device: Device, cpu: number) {
  const { page, done } = await signedIn(browser, device);
  const cdp = await page.context().newCDPSession(page);
  const open = async () => {
    await page.goto(USERS);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
    await page.getByRole('checkbox', { name: /^Select \d/ }).first().check();
    await expect(page.getByRole('button', { name: 'Bulk Action (1)' })).toBeVisible();
    const ms = await page.evaluate(async () => {
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Bulk Action (1)')!;
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      const start = performance.now();
      button.click();
      while (!document.querySelector('dialog[open] li')) await frame();
      await frame();
      return performance.now() - start;
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    return ms;
  };
  const cold = await open();
  const warm = await open();
  await done();
  return { cold, warm };
}

/** A 10,000-user reset watched in the progress dialog: bytes a second of its stream, updates a
 * second of the bar, and the most times one request was sent within a second. */
async function progress(browser: Browser, device: Device) {
  const { page, done } = await signedIn(browser, device);
  await page.goto(USERS);
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  // The server functions' addresses, as the page itself calls them.
  const listing = page.waitForRequest((r) => r.url().includes('/api/list_users'));
  await page.getByRole('link', { name: 'Next' }).first().click();
  const listUsers = await listing;
  const ids: number[] = [];
  for (let n = 1; ; n++) {
    const query = { ...listUsers.postDataJSON().query, page: n, per_page: 200 };
    const answer = await page.request.post(listUsers.url(), { data: { domain: 'demo.example', query } });
    const { rows, pages } = await answer.json();
    ids.push(...rows.filter((row: any) => Number(row.extension) >= 201).map((row: any) => row.id));
    if (n >= pages) break;
  }
  const starting = page.waitForRequest((r) => r.url().includes('/api/start_reset'));
  await page.getByRole('checkbox', { name: /^Select 2\d\d/ }).first().check();
  await page.getByRole('button', { name: 'Bulk Action (1)' }).click();
  await page.getByRole('dialog', { name: 'Bulk Action' }).getByRole('button', { name: 'Reset Users' }).click();
  await page.getByRole('dialog', { name: 'Reset Users' }).getByRole('button', { name: 'Next' }).click();
  await page.getByRole('dialog', { name: 'Confirm Reset' }).getByRole('button', { name: 'Reset' }).click();
  const start = await starting;
  const first = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(first.getByText('Reset complete')).toBeVisible({ timeout: 60_000 });
  await first.getByRole('button', { name: 'Close' }).click();

  const request = { ...start.postDataJSON().request, targets: { Ticked: ids.slice(0, 10_000) } };
  const started = await page.request.post(start.url(), { data: { domain: 'demo.example', request } });
  expect(started.ok(), await started.text()).toBe(true);
  await page.reload();
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  const recorder = await recordNetwork(page);
  const sent: { key: string; at: number }[] = [];
  page.on('request', (r) => sent.push({ key: `${r.method()} ${r.url()}`, at: Date.now() }));
  await page.getByRole('button', { name: /^Reset in progress/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Reset Progress' });
  const bar = dialog.getByRole('progressbar');
  await bar.waitFor();
  await page.evaluate(() => {
    const marks = ((window as any).__updates = [] as number[]);
    const bar = document.querySelector('[role=progressbar]')!;
    new MutationObserver(() => marks.push(performance.now())).observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  const opened = Date.now();
  await expect(dialog.getByText('Reset complete')).toBeVisible({ timeout: 120_000 });
  const seconds = (Date.now() - opened) / 1000;
  const updates: number[] = await page.evaluate(() => (window as any).__updates);
  const stream = [...recorder.streamed.entries()].find(([url]) => url.includes('/events'))?.[1] ?? { bytes: 0, chunks: 0 };
  let busiest = 0;
  for (const [i, one] of sent.entries()) {
    busiest = Math.max(busiest, sent.slice(i).filter((o) => o.key === one.key && o.at - one.at < 1000).length);
  }
  let gap = 0;
  for (let i = 1; i < updates.length; i++) gap = Math.max(gap, updates[i] - updates[i - 1]);
  await done();
  const startReset = (ticked: number[]) =>
    ({ url: start.url(), data: { domain: 'demo.example', request: { ...request, targets: { Ticked: ticked } } } });
  return {
    seconds, bytesPerSecond: stream.bytes / seconds, updatesPerSecond: updates.length / seconds, gap, busiest,
    reset1000: startReset(ids.slice(0, 1_000)),
  };
}

/** "Paste from a spreadsheet" of 1,000 rows into the Recycle Users form of a 1,000-user reset (opened
 * from its Activity row) under `cpu`× slowdown: how long the form takes to open, and from the paste
 * until the last row is filled and painted. */
async function pasteThousand(browser: Browser, device: Device, cpu: number, reset: { url: string; data: object }) {
  const { page, done } = await signedIn(browser, device);
  const started = await page.request.post(reset.url, { data: reset.data });
  expect(started.ok(), await started.text()).toBe(true);
  const { id } = await started.json();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `Download CSV of bulk action ${id}`, exact: true }) });
  await expect(async () => {
    await page.goto('/activity');
    await expect(row).toContainText('1000 done, 0 failed', { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
  const form = page.getByRole('dialog', { name: 'Recycle Users' });
  const opening = Date.now();
  await row.getByRole('button', { name: /^Recycle Users/ }).click();
  await expect(form.getByRole('group').first()).toBeVisible({ timeout: 60_000 });
  const open = Date.now() - opening;
  // Every extension of the form, built or not, from its template link.
  const extensions: string[] = await page.evaluate(() => {
    const template = document.querySelector<HTMLAnchorElement>('a[download="new-hires.csv"]')!;
    return decodeURIComponent(template.href.split(',')[1]).trim().split(/\r?\n/).slice(1).map((line) => line.split(',')[0]);
  });
  expect(extensions).toHaveLength(1_000);
  const built: string[] = await page.evaluate(() =>
    [...document.querySelectorAll('fieldset.recycle-row legend')].map((legend) => legend.textContent!.replace('Extension ', '')));
  const text = ['Extension\tFirst Name\tLast Name\tEmail', ...extensions.map((ext) => `${ext}\tFirst${ext}\tLast${ext}\tp${ext}@example.com`)].join('\n');
  const fill = await page.evaluate(async ({ text, last }) => {
    const area = document.querySelector('#recycle-paste') as HTMLTextAreaElement;
    const firstNames = document.querySelectorAll<HTMLInputElement>('fieldset.recycle-row input[name=first_name]');
    const lastRow = firstNames[firstNames.length - 1];
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    const began = performance.now();
    area.value = text;
    area.dispatchEvent(new Event('input', { bubbles: true }));
    while (lastRow.value !== `First${last}`) await frame();
    await frame();
    return performance.now() - began;
  }, { text, last: built[built.length - 1] });
  await done();
  return { open, fill };
}

/** Raw, gzip and brotli sizes of the bundle's files as built (`cargo leptos build --precompress`). */
function sizes() {
  const files = fs.readdirSync(SITE_PKG).filter((f) => /\.(wasm|js|css)$/.test(f));
  return files.map((file) => {
    const raw = fs.readFileSync(path.join(SITE_PKG, file));
    const br = fs.existsSync(path.join(SITE_PKG, `${file}.br`))
      ? fs.statSync(path.join(SITE_PKG, `${file}.br`)).size
      : zlib.brotliCompressSync(raw).length;
    const extension = file.split('.').pop()!;
    // The app's own files keep the figures' names of earlier runs; the parts split off say what they are.
    const kind = file.startsWith('switchboard.') ? extension
      : file.startsWith('split_steps_') ? `${extension} (Bulk Action's steps, fetched on opening)`
      : `${extension} (loader of split parts)`;
    return { kind, main: file.startsWith('switchboard.'), raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length, br };
  });
}

/** The figures of the last run, by name, from bench/results.md. */
function lastRun(): Map<string, string> {
  const text = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : '';
  const at = text.indexOf(SECTION);
  const section = at < 0 ? '' : text.slice(at).split('\n## ')[0];
  const figures = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length > 4 && cells[1] && !cells[1].startsWith('---') && cells[1] !== 'figure') figures.set(cells[1], cells[2]);
  }
  return figures;
}

function record(table: string, machine: string) {
  const text = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const section = `${SECTION}\n\n${machine}\n\n${table}\n`;
  const at = text.indexOf(SECTION);
  const next = at < 0 ? -1 : text.indexOf('\n## ', at + SECTION.length);
  const updated = at < 0 ? `${text.trimEnd()}\n\n${section}` : text.slice(0, at) + section + (next < 0 ? '' : `\n${text.slice(next + 1)}`);
  fs.writeFileSync(RESULTS, updated);
}

test('the Users page on a phone and a desktop, and a watched 10,000-user job', async ({ browser }) => {
  const last = lastRun();
  const notes: string[] = [];
  const add = (figure: string, measured: number, unit: string, target?: number) =>
    rows.push({ figure, measured, unit, target, before: last.get(figure) });

  for (const { kind, main, raw, gzip, br } of sizes()) {
    add(`${kind}: raw`, kb(raw), 'KB');
    add(`${kind}: gzip`, kb(gzip), 'KB');
    add(`${kind}: brotli`, kb(br), 'KB', main && kind === 'wasm' ? 300 : undefined);
  }

  console.log('  the Users page on a phone over slow 4G …');
  const slow = [];
  for (let i = 0; i < RUNS; i++) slow.push(await pageLoad(browser, PHONE, 4, SLOW_4G));
  add('phone, slow 4G, 4× CPU: wasm on the wire', kb(median(slow.map((r) => r.wasm))), 'KB', 300);
  add('phone, slow 4G, 4× CPU: whole page load', kb(median(slow.map((r) => r.bytes))), 'KB', 320);
  add('phone, slow 4G, 4× CPU: first paint', Math.round(median(slow.map((r) => r.paint))), 'ms', 1000);
  add('phone, slow 4G, 4× CPU: first working tick', Math.round(median(slow.map((r) => r.tick))), 'ms', 1000);
  add('phone, slow 4G, 4× CPU: that tick counted (app awake)', Math.round(median(slow.map((r) => r.counted))), 'ms');
  console.log('  … on a desktop …');
  const fast = [];
  for (let i = 0; i < RUNS; i++) fast.push(await pageLoad(browser, DESKTOP, 1));
  add('desktop: first working tick', Math.round(median(fast.map((r) => r.tick))), 'ms', 300);
  add('desktop: that tick counted (app awake)', Math.round(median(fast.map((r) => r.counted))), 'ms');
  add('desktop: request to first byte of the page', Math.round(median(fast.map((r) => r.wait))), 'ms');

  console.log('  … a repeat visit, ticking, and a 10,000-user job watched');
  const repeat = await repeatVisit(browser, PHONE);
  add(`repeat visit: bundle bytes fetched again (${repeat.files} files)`, kb(repeat.bytes), 'KB', 0);
  add('repeat visit: whole page load', kb(repeat.total), 'KB');

  for (const cpu of [1, 4]) {
    const { tick, all } = await tickCost(browser, PHONE, cpu);
    add(`tick a row, ${cpu}× CPU`, Math.round(tick.median * 10) / 10, 'ms', cpu === 1 ? 16 : undefined);
    notes.push(`${cpu}× CPU: ${tick.late} of 21 ticks and ${all.late} of 21 "Select all" were still working when a frame came.`);
    add(`Select all on this page, ${cpu}× CPU`, Math.round(all.median * 10) / 10, 'ms', cpu === 1 ? 50 : undefined);
  }

  const dialog = await dialogOpen(browser, PHONE, 4);
  add('phone, slow 4G, 4× CPU: Bulk Action opens, first time (its part fetched)', Math.round(dialog.cold), 'ms');
  add('phone, slow 4G, 4× CPU: Bulk Action opens, first time in a page (part cached)', Math.round(dialog.warm), 'ms', 300);

  const job = await progress(browser, DESKTOP);
  add('progress dialog of a 10,000-user job: its stream', Math.round(job.bytesPerSecond), 'B/s', 1024);
  notes.push(`The dialog watched the 10,000-user job for ${job.seconds.toFixed(1)} s.`);
  add('progress dialog: bar updates', Math.round(job.updatesPerSecond * 10) / 10, '/s');
  add('progress dialog: longest wait between updates', Math.round(job.gap), 'ms', 500);
  add('progress dialog: most sends of one request in a second', job.busiest, '', 2);

  console.log('  … and 1,000 rows pasted into Recycle Users');
  for (const [device, cpu, name] of [[DESKTOP, 1, 'desktop'], [PHONE, 4, 'phone, 4× CPU']] as const) {
    const paste = await pasteThousand(browser, device, cpu, job.reset1000);
    add(`${name}: Recycle Users of 1,000 users opens`, paste.open, 'ms', device === PHONE ? 1000 : 300);
    add(`${name}: 1,000 pasted rows fill the form (rows in view painted)`, Math.round(paste.fill), 'ms', 1000);
  }

  const over = (row: Row) => (row.target !== undefined && row.measured > row.target ? '  OVER TARGET' : '');
  const lines = [
    '| figure | measured | target | last run |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.figure} | ${r.measured} ${r.unit} | ${r.target === undefined ? '-' : `≤ ${r.target} ${r.unit}`} | ${r.before ?? '-'} |`),
  ];
  lines.push('', ...notes);
  console.log(`\n${SECTION}\n`);
  for (const r of rows) {
    const target = r.target === undefined ? '' : `target ≤ ${r.target} ${r.unit}`;
    console.log(`  ${r.figure.padEnd(62)} ${`${r.measured} ${r.unit}`.padStart(12)}   ${target.padEnd(20)} last run: ${r.before ?? '-'}${over(r)}`);
  }
  for (const note of notes) console.log(`  ${note}`);
  const machine =
    `\`make bench\` → \`scripts/bench-browser.sh\` (Debian's Chromium ${browser.version()}, release build, ` +
    `demo domain of 10,000 users on SQLite, ${require('os').cpus().length} cores): Pixel 7 emulation, 4× CPU slowdown, ` +
    `slow 4G (150 ms, 1.6 Mbit/s down, 750 kbit/s up), cache off unless said; medians of ${RUNS} loads and of 21 clicks; ` +
    'the job runs with a batch pause (BULK_BATCH_PAUSE_MS) so that the dialog has several seconds to watch.';
  record(lines.join('\n'), machine);
});
