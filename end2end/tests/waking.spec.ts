import { Page } from '@playwright/test';
import { checkbox, expect, extensions, hydrated, manager, openUsers, resetStep, rowOf, signIn, test, watchRequests } from './fixtures';

// The server's page shows a second or two before the app's code has arrived and woken it (hydrated),
// longer on a phone. Whatever a user does meanwhile must not be lost (ui/before_hydration.{js,rs}).

/** Loads the Users page again with its WebAssembly held back until `release()`. */
async function loadAsleep(page: Page) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/[^/]+\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.reload({ waitUntil: 'domcontentloaded' });
  await expect(checkbox(page, '201')).toBeVisible();
  await expect(page.locator('html[data-hydrated]')).toHaveCount(0);
  return release;
}

test('ticks, a typed search and a pressed button from before the app woke all count once it wakes', async ({ page }, testInfo) => {
  await signIn(page, manager);
  await hydrated(page);
  const release = await loadAsleep(page);

  await checkbox(page, '201').check();
  await checkbox(page, '202').check();
  await page.getByRole('searchbox', { name: 'Search users' }).fill('smi');
  // Still "Bulk Action" as served, with nothing ticked (greyed): a tap on it is kept all the same.
  const bulk = page.getByRole('button', { name: /^Bulk Action/ });
  await bulk.click({ force: true });
  // Not silently ignored: it shows that it is coming.
  await expect(bulk).toHaveAttribute('aria-busy', 'true');
  await page.screenshot({ path: `screenshots/before-waking-${testInfo.project.name}.png` });
  await expect(page.getByRole('dialog')).toHaveCount(0);

  release();
  await hydrated(page);
  // The press happens, for both ticked users.
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog.getByRole('listitem')).toHaveText(['201 Ava Smith', '202 Liam Johnson']);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(bulk).not.toHaveAttribute('aria-busy');
  // The typed search stayed in the box and ran; the ticks stayed, on this page and off it.
  await expect(page).toHaveURL(/\?q=smi(&|$)/);
  await expect(page.getByRole('searchbox', { name: 'Search users' })).toHaveValue('smi');
  await expect(checkbox(page, '201')).toBeChecked();
  await expect(checkbox(page, '202')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Bulk Action (2)' })).toBeVisible();
  await page.getByRole('button', { name: 'Clear selection' }).click();
  await page.getByRole('searchbox', { name: 'Search users' }).fill('');
  await expect(checkbox(page, '202')).toBeVisible();
  await expect(checkbox(page, '202')).not.toBeChecked();
});

test('a tap on a row, "Select all on this page" and a status filter before the app woke all work', async ({ page }) => {
  await signIn(page, manager);
  await hydrated(page);
  let release = await loadAsleep(page);
  // A tap on the row's name ticks its box, as after waking.
  await page.getByRole('row').filter({ has: checkbox(page, '203') }).getByRole('cell', { name: 'Noah Williams', exact: true }).click();
  await expect(checkbox(page, '203')).toBeChecked();
  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  release();
  await hydrated(page);
  const rows = await page.getByRole('checkbox', { name: /^Select \d+/ }).count();
  await expect(page.getByRole('button', { name: `Bulk Action (${rows})` })).toBeVisible();
  for (const box of await page.getByRole('checkbox', { name: /^Select \d+/ }).all()) await expect(box).toBeChecked();

  // A filter chosen before waking is an ordinary GET of the page.
  await page.unrouteAll();
  release = await loadAsleep(page);
  await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Setup Required' });
  await expect(page).toHaveURL(/[?&]status=setup-required/);
  release();
  await hydrated(page);
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('setup-required');
});

test('when the dialog\'s own job ends, the table is loaded once', async ({ page }, testInfo) => {
  await openUsers(page);
  const users = extensions(testInfo, 11, 1);
  const requests = watchRequests(page);
  const loads = () => requests.sent().filter((request) => request.includes('/api/list_users')).length;
  const step = await resetStep(page, users);
  await step.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('dialog', { name: 'Confirm Reset' }).getByRole('button', { name: 'Reset' }).click();
  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(progress.getByText('Reset complete')).toBeVisible({ timeout: 30_000 });
  await expect.poll(loads).toBe(1);
  // The dialog and the page's stream of unfinished jobs both see the end: give the later one time.
  await page.waitForTimeout(1500);
  expect(loads()).toBe(1);
  await progress.getByRole('button', { name: 'Close' }).click();
  await expect(rowOf(page, users[0])).toContainText('Setup Required');
});
