import { Locator, Page } from '@playwright/test';
import { accessManager, expect, hydrated, test } from './fixtures';

/**
 * The whole seed flow with the keyboard alone: Tab, Shift+Tab, Space, Enter, Escape and the arrow keys.
 * Every element that takes focus on the way shows it, every dialog step starts at its title, Tab stays
 * in the dialog, Escape closes it (but not while a job is being started), and closing hands focus back
 * to "Bulk Action". Works on access.example (scripts/e2e.sh): the desktop project's users are found by
 * searching "desk", the phone project's by "phone".
 */

/** The focused element shows a clear outline (at least 2 px). */
async function expectVisibleFocus(page: Page) {
  const outline = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'nothing focused';
    const style = getComputedStyle(el);
    // Unfocused, nothing has an outline: the portal draws one only around what has the focus.
    const shown = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const what = `${el.tagName} ${el.getAttribute('type') ?? ''} ${el.id} ${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30)}`;
    return shown ? 'visible' : `${what}: outline ${style.outlineStyle} ${style.outlineWidth}`;
  });
  expect(outline, 'the focused element shows its focus').toBe('visible');
}

/** Presses Tab (or Shift+Tab) until `target` has the focus, checking that each stop shows its focus. */
async function tabTo(page: Page, target: Locator, { back = false, most = 40 } = {}) {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    await expectVisibleFocus(page);
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${target} not reached with ${back ? 'Shift+Tab' : 'Tab'} in ${most} presses`);
}

/** The step's title has the focus (a dialog step starts there). */
async function expectStepFocused(dialog: Locator, title: string) {
  await expect(dialog.getByRole('heading', { name: title })).toBeFocused();
}

/** Tab goes round the dialog: twice as many presses as it has controls never leave it. */
async function expectTrapped(page: Page, dialog: Locator) {
  const controls = await dialog.locator('button:not([disabled]), input:not([disabled]), a[href], select, textarea').count();
  for (let i = 0; i < controls * 2 + 2; i++) {
    await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
    expect(await dialog.evaluate((el) => el.contains(document.activeElement)), `focus left the dialog after ${i + 1} presses`).toBe(true);
  }
}

test('the whole seed flow with the keyboard alone', async ({ page }, testInfo) => {
  test.setTimeout(60_000);
  const phone = testInfo.project.name === 'phone';
  const [search, first, second, third] = phone ? ['phone', '204', '205', '206'] : ['desk', '201', '202', '203'];

  // Sign in.
  await page.goto('/login');
  await hydrated(page);
  await tabTo(page, page.getByLabel('Login'));
  await page.keyboard.type(accessManager.login);
  await tabTo(page, page.getByLabel('Password'));
  await page.keyboard.type(accessManager.password);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/domains\/access\.example\/users$/);
  await hydrated(page);

  // Search, and tick three users.
  await tabTo(page, page.getByRole('searchbox', { name: 'Search users' }));
  await page.keyboard.type(search);
  await expect(page.getByRole('checkbox', { name: /^Select \d+/ })).toHaveCount(3);
  await expect(page).toHaveURL(new RegExp(`q=${search}`));
  const selected = page.getByRole('status').filter({ hasText: /selected$/ });
  for (const [i, extension] of [first, second, third].entries()) {
    const box = page.getByRole('checkbox', { name: new RegExp(`^Select ${extension}\\b`) });
    await tabTo(page, box);
    await page.keyboard.press('Space');
    await expect(box).toBeChecked();
    // Said by the polite live region as it changes.
    await expect(selected).toHaveText(`${i + 1} selected`);
  }

  // Bulk Action: before the table, so Shift+Tab.
  const bulk = page.getByRole('button', { name: 'Bulk Action (3)' });
  await tabTo(page, bulk, { back: true });
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toHaveAccessibleName('Bulk Action');
  await expectStepFocused(dialog, 'Bulk Action');
  await expectTrapped(page, dialog);
  // Escape closes it, and focus is back on Bulk Action.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(bulk).toBeFocused();
  await expectVisibleFocus(page);

  // Again, on to Reset Users.
  await page.keyboard.press('Enter');
  await expectStepFocused(dialog, 'Bulk Action');
  await tabTo(page, dialog.getByRole('button', { name: 'Reset Users' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveAccessibleName('Reset Users');
  await expectStepFocused(dialog, 'Reset Users');

  // Change the options: Contacts too, Recycle Users, and the arrow keys between Now and At.
  const contacts = dialog.getByRole('checkbox', { name: 'Contacts' });
  await tabTo(page, contacts);
  await page.keyboard.press('Space');
  await expect(contacts).toBeChecked();
  const recycle = dialog.getByRole('checkbox', { name: 'Recycle Users' });
  await tabTo(page, recycle);
  await page.keyboard.press('Space');
  await expect(recycle).toBeChecked();
  const now = dialog.getByRole('radio', { name: 'Now' });
  await tabTo(page, now);
  await page.keyboard.press('ArrowDown');
  await expect(dialog.getByRole('radio', { name: 'At' })).toBeChecked();
  await expect(dialog.getByLabel('Date and time')).not.toHaveValue('');
  await page.keyboard.press('ArrowUp');
  await expect(now).toBeChecked();
  await expectTrapped(page, dialog);

  await tabTo(page, dialog.getByRole('button', { name: 'Next' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveAccessibleName('Confirm Reset');
  await expectStepFocused(dialog, 'Confirm Reset');
  await expect(dialog.getByText('Name, Email Address, Password and Voicemail PIN will be cleared for 3 users.')).toBeVisible();

  // Reset. While the job is being started, Escape does not close the dialog (the start is held back a
  // moment here, so that the key surely comes in the middle of it).
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/start_reset*', async (route) => {
    await held;
    await route.continue();
  });
  await tabTo(page, dialog.getByRole('button', { name: 'Reset' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('button', { name: 'Reset' })).toBeDisabled();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAccessibleName('Confirm Reset');
  release();

  // Progress, said by the live region: "N of 3 users reset", then "Reset complete".
  await expect(dialog).toHaveAccessibleName('Reset Progress');
  await expectStepFocused(dialog, 'Reset Progress');
  const said = dialog.getByRole('status');
  await expect(said).toContainText(/[0-3] of 3 users reset/);
  await expect(said).toContainText('Reset complete', { timeout: 15_000 });
  await expect(said).toContainText('3 of 3 users reset');
  await expect(dialog.getByRole('progressbar', { name: 'Reset progress' })).toHaveAttribute('aria-valuenow', '3');

  // Recycle two of them with names; the third is left for later.
  await tabTo(page, dialog.getByRole('button', { name: 'Next' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveAccessibleName('Recycle Users');
  await expectStepFocused(dialog, 'Recycle Users');
  const row = (extension: string) => dialog.getByRole('group', { name: `Extension ${extension}` });
  await tabTo(page, row(first).getByLabel('First Name'));
  await page.keyboard.type('Ada');
  await tabTo(page, row(first).getByLabel('Last Name'));
  await page.keyboard.type('Lovelace');
  await tabTo(page, row(second).getByLabel('First Name'));
  await page.keyboard.type('Alan');
  // Save with Last Name left out: the error is tied to the field, which gets the focus.
  await tabTo(page, dialog.getByRole('button', { name: 'Save' }));
  await page.keyboard.press('Enter');
  const lastName = row(second).getByLabel('Last Name');
  await expect(lastName).toBeFocused();
  await expect(lastName).toHaveAttribute('aria-invalid', 'true');
  await expect(lastName).toHaveAccessibleDescription('Last Name is required.');
  await expect(row(first).getByText('Saved')).toBeVisible();
  await page.keyboard.type('Turing');
  await tabTo(page, dialog.getByRole('button', { name: 'Save' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('status').filter({ hasText: 'Recycle complete' })).toBeVisible();
  await expect(dialog.getByText(`Left for later: ${third}.`)).toBeVisible();
  await expectTrapped(page, dialog);

  // Close: focus is back on Bulk Action, and the table shows the new names.
  await tabTo(page, dialog.getByRole('button', { name: 'Close' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  const bulkAgain = page.getByRole('button', { name: /^Bulk Action/ });
  await expect(bulkAgain).toBeFocused();
  await expect(bulkAgain).toBeDisabled();
  await expectVisibleFocus(page);
  // The search "desk" no longer finds them: their names were cleared, then replaced.
  const searchbox = page.getByRole('searchbox', { name: 'Search users' });
  await tabTo(page, searchbox);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('turing');
  await expect(page.getByRole('checkbox', { name: `Select ${second} Alan Turing` })).toBeVisible();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(`${first} lovelace`);
  await expect(page.getByRole('checkbox', { name: `Select ${first} Ada Lovelace` })).toBeVisible();
});
