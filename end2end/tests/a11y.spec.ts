import { Page, TestInfo } from '@playwright/test';
import { accessManager, basic, checkbox, expect, hydrated, manager, signIn, test } from './fixtures';

/**
 * Tours of every page and dialog step an Office Manager passes through, in light and dark mode and,
 * on a 360 px wide screen too (a phone, and a desktop window made as narrow). The suite's fixture (`a11y.ts`) checks each page
 * and step as the tour reaches it: axe-core's WCAG 2.2 A/AA rules (contrast included, so the dark run
 * checks the dark theme), and on narrow screens no sideways scroll, full-screen dialogs with their buttons in
 * view, a one-line header and 44 px touch targets. The tours also take the README's screenshots.
 */

type Tour = { name: string; scheme: 'light' | 'dark'; narrow: boolean; users: Record<'desktop' | 'phone', [string, string]> };

const TOURS: Tour[] = [
  { name: 'light', scheme: 'light', narrow: false, users: { desktop: ['207', '208'], phone: ['211', '212'] } },
  { name: 'dark', scheme: 'dark', narrow: false, users: { desktop: ['209', '210'], phone: ['213', '214'] } },
  // The smallest phones, and a desktop window made as narrow.
  { name: '360 px', scheme: 'light', narrow: true, users: { desktop: ['217', '218'], phone: ['215', '216'] } },
];

/** Where the README's screenshots live; the suite writes them, so they show the product as it is. */
const SCREENS = '../docs/screens';

async function signOut(page: Page) {
  await page.context().clearCookies();
}

/** The Users page and the Reset Users step of the demo domain, as the README shows them. */
async function screenshots(page: Page, testInfo: TestInfo, scheme: string) {
  const name = `${testInfo.project.name}-${scheme}`;
  await signIn(page, manager);
  await hydrated(page);
  await expect(checkbox(page, '201')).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/users-${name}.png` });
  for (const extension of ['201', '202', '203']) await checkbox(page, extension).check();
  await page.getByRole('button', { name: 'Bulk Action (3)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  await expect(page.getByRole('dialog', { name: 'Reset Users' })).toBeVisible();
  await page.screenshot({ path: `${SCREENS}/reset-users-${name}.png` });
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
  await signOut(page);
}

for (const tour of TOURS) {
  test.describe(`${tour.name} tour`, () => {
    test.use({ colorScheme: tour.scheme, ...(tour.narrow ? { viewport: { width: 360, height: 740 } } : {}) });

    test('every page and dialog step of a reset and recycle', async ({ page }, testInfo) => {
      test.setTimeout(60_000);
      const users = tour.users[testInfo.project.name as 'desktop' | 'phone'];
      if (!tour.narrow) await screenshots(page, testInfo, tour.scheme);

      // The sign-in page, then the Users page.
      await signIn(page, accessManager);
      await hydrated(page);
      for (const extension of users) await checkbox(page, extension).check();
      await page.getByRole('button', { name: 'Bulk Action (2)' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Reset Users' }).click();
      await expect(dialog).toHaveAccessibleName('Reset Users');
      await dialog.getByRole('checkbox', { name: 'Recycle Users' }).check();
      // "At" shows the date and time field and its time zone.
      await dialog.getByRole('radio', { name: 'At' }).check();
      await expect(dialog.getByText(/^Your time zone: /)).toBeVisible();
      await dialog.getByRole('radio', { name: 'Now' }).check();
      await dialog.getByRole('button', { name: 'Next' }).click();
      await expect(dialog).toHaveAccessibleName('Confirm Reset');
      await dialog.getByRole('button', { name: 'Reset' }).click();
      await expect(dialog).toHaveAccessibleName('Reset Progress');
      await expect(dialog.getByRole('status')).toContainText('Reset complete', { timeout: 15_000 });
      await dialog.getByRole('button', { name: 'Next' }).click();
      await expect(dialog).toHaveAccessibleName('Recycle Users');
      // Save with nothing typed: every field says what it needs; the first has the focus.
      await dialog.getByRole('button', { name: 'Save' }).click();
      const first = dialog.getByRole('group', { name: `Extension ${users[0]}` });
      await expect(first.getByLabel('First Name')).toBeFocused();
      await expect(first.getByLabel('First Name')).toHaveAccessibleDescription('First Name is required.');
      for (const [i, extension] of users.entries()) {
        const row = dialog.getByRole('group', { name: `Extension ${extension}` });
        await row.getByLabel('First Name').fill(`New${i}`);
        await row.getByLabel('Last Name').fill(`Hire${extension}`);
        await row.getByLabel('Email', { exact: true }).fill(`new.hire.${extension}@access.example`);
      }
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect(dialog.getByRole('status').filter({ hasText: 'Recycle complete' })).toBeVisible();
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(dialog).toBeHidden();
      await expect(checkbox(page, users[0])).toHaveAccessibleName(`Select ${users[0]} New0 Hire${users[0]}`);

      // The other pages of the menu.
      await page.getByRole('link', { name: 'Activity' }).click();
      await expect(page.getByRole('heading', { name: 'Activity' })).toBeVisible();
      await expect(page.getByRole('cell', { name: /2 done, 0 failed/ }).first()).toBeVisible();
      await page.getByRole('link', { name: 'Outbox' }).click();
      await expect(page.getByRole('heading', { name: 'Outbox' })).toBeVisible();
      await expect(page.getByText(`new.hire.${users[0]}@access.example`).first()).toBeVisible();
      await page.goto('/me');
      await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
      // A page outside the Office Manager's scope: another domain's users.
      await page.goto('/domains/demo.example/users');
      await expect(page.getByRole('heading', { name: 'Not Allowed' })).toBeVisible();
      await signOut(page);
      await page.goto('/login');
      await expect(page.getByRole('button', { name: 'Log In' })).toBeVisible();
    });
  });
}

test('outside their scope, a user gets a plain 403 page with a link to My Account', async ({ page }) => {
  await signIn(page, basic);
  for (const address of ['/domains/demo.example/users', '/domains/demo.example/users?q=smith', '/domains/demo.example/provisioning', '/activity', '/outbox', '/domains']) {
    const response = await page.goto(address);
    expect(response?.status(), address).toBe(403);
    await expect(page.getByRole('heading', { name: 'Not Allowed' })).toBeVisible();
    await expect(page.getByText('This page is for Office Managers and above.')).toBeVisible();
    // None of the Users page's controls, not even disabled ones.
    await expect(page.getByRole('searchbox')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /Bulk Action/ })).toHaveCount(0);
    await expect(page.getByRole('combobox')).toHaveCount(0);
  }
  await page.getByRole('link', { name: 'My Account' }).click();
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
  await signOut(page);

  // An Office Manager at another domain's Users page.
  await signIn(page, accessManager);
  const response = await page.goto('/domains/demo.example/users');
  expect(response?.status()).toBe(403);
  await expect(page.getByText('You do not have access to the domain demo.example.')).toBeVisible();
  await expect(page.getByRole('searchbox')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'My Account' })).toBeVisible();
});

test('the order is a control: headers announce it, and phones choose it from "Sort by"', async ({ page }, testInfo) => {
  await signIn(page, manager);
  await hydrated(page);
  if (testInfo.project.name === 'phone') {
    // The cards have no header row: "Sort by" says the order and changes it.
    await expect(page.getByRole('columnheader')).toHaveCount(0);
    const sortBy = page.getByRole('combobox', { name: 'Sort by' });
    await expect(sortBy.getByRole('option', { selected: true })).toHaveText('Extension, ascending');
    await sortBy.selectOption({ label: 'Name, descending' });
    await expect(page).toHaveURL(/sort=name&dir=desc/);
    await expect(page.getByRole('combobox', { name: 'Sort by' }).getByRole('option', { selected: true })).toHaveText('Name, descending');
    await expect(page.getByRole('checkbox', { name: 'Select all on this page' })).toBeVisible();
  } else {
    await expect(page.getByRole('combobox', { name: 'Sort by' })).toHaveCount(0);
    const extension = page.getByRole('columnheader', { name: 'Extension' });
    const name = page.getByRole('columnheader', { name: 'Name' });
    await expect(extension).toHaveAttribute('aria-sort', 'ascending');
    await expect(name).toHaveAttribute('aria-sort', 'none');
    await name.getByRole('link', { name: 'Name' }).click();
    await expect(page).toHaveURL(/sort=name/);
    await expect(page.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'ascending');
    await expect(page.getByRole('columnheader', { name: 'Extension' })).toHaveAttribute('aria-sort', 'none');
  }
});

test.describe('reduced motion', () => {
  test.use({ reducedMotion: 'reduce' });
  test('turns transitions off', async ({ page }) => {
    await signIn(page, manager);
    const moving = await page.evaluate(() =>
      [...document.querySelectorAll('*')].filter((el) => parseFloat(getComputedStyle(el).transitionDuration) > 0).length,
    );
    expect(moving).toBe(0);
    // Without the preference, the progress bar does move (so the check above can fail).
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    const bar = await page.evaluate(() => {
      const probe = document.createElement('div');
      probe.className = 'progress';
      probe.innerHTML = '<div class="bar"></div>';
      document.body.append(probe);
      const duration = getComputedStyle(probe.firstElementChild!).transitionDuration;
      probe.remove();
      return duration;
    });
    expect(parseFloat(bar)).toBeGreaterThan(0);
  });
});
