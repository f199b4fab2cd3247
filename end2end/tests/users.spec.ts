import { Page } from '@playwright/test';
import { expect, test, manager, signIn, hydrated } from './fixtures';

async function openUsers(page: Page) {
  await signIn(page, manager);
  await expect(page).toHaveURL(/\/domains\/demo\.example\/users$/);
  await expect(page.getByRole('checkbox', { name: 'Select 201 Ava Smith' })).toBeVisible();
}

test('tick three users, Bulk Action counts them, and the dialog lists them', async ({ page }) => {
  await openUsers(page);
  const bulk = page.getByRole('button', { name: /^Bulk Action/ });
  await expect(bulk).toHaveText('Bulk Action');
  await expect(bulk).toBeDisabled();

  const picks = ['Select 201 Ava Smith', 'Select 202 Liam Johnson', 'Select 203 Noah Williams'];
  for (const name of picks) {
    await page.getByRole('checkbox', { name }).check();
  }
  await expect(page.getByRole('button', { name: 'Bulk Action (3)' })).toBeEnabled();
  await page.getByRole('button', { name: 'Bulk Action (3)' }).click();

  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog).toBeVisible();
  const listed = dialog.getByRole('listitem');
  await expect(listed).toHaveCount(3);
  await expect(listed.nth(0)).toHaveText('201 Ava Smith');
  await expect(listed.nth(2)).toHaveText('203 Noah Williams');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Bulk Action (3)' })).toBeVisible();
});

test('the selection survives paging and searching until cleared', async ({ page }) => {
  await openUsers(page);
  await page.getByRole('checkbox', { name: 'Select 201 Ava Smith' }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByText(/Page 2 of 2/)).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select 260 Jacob Lee' }).check();
  await expect(page.getByRole('button', { name: 'Bulk Action (2)' })).toBeVisible();

  await page.getByRole('searchbox', { name: 'Search users' }).fill('williams');
  await expect(page.getByRole('checkbox', { name: 'Select 201 Ava Smith' })).toHaveCount(0);
  await expect(page.getByRole('checkbox', { name: 'Select 203 Noah Williams' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Bulk Action (2)' })).toBeVisible();

  await page.getByRole('button', { name: 'Clear selection' }).click();
  await expect(page.getByRole('button', { name: 'Bulk Action' })).toBeDisabled();
});

test('select all on this page ticks every row of the page only', async ({ page }) => {
  await openUsers(page);
  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  const rows = await page.getByRole('checkbox', { name: /^Select \d+/ }).count();
  await expect(page.getByRole('button', { name: `Bulk Action (${rows})` })).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select all on this page' }).uncheck();
  await expect(page.getByRole('button', { name: 'Bulk Action' })).toBeDisabled();
});

test('shift-click ticks the range from the last ticked row, and unticks it the same way', async ({ page }) => {
  await openUsers(page);
  // By extension alone: other tests may reset (and so unname) some of these users meanwhile.
  const box = (extension: string) => page.getByRole('checkbox', { name: new RegExp(`^Select ${extension}( |$)`) });
  await box('202').check();
  await box('205').click({ modifiers: ['Shift'] });
  for (const extension of ['203', '204', '205']) {
    await expect(box(extension)).toBeChecked();
  }
  await expect(page.getByRole('button', { name: 'Bulk Action (4)' })).toBeVisible();
  await expect(box('201')).not.toBeChecked();
  await expect(box('206')).not.toBeChecked();

  // Shift+Space from the keyboard does the same; unticking a range unticks all of it.
  await box('203').focus();
  await page.keyboard.press('Shift+Space');
  for (const extension of ['203', '204', '205']) {
    await expect(box(extension)).not.toBeChecked();
  }
  await expect(page.getByRole('button', { name: 'Bulk Action (1)' })).toBeVisible();
  await expect(box('202')).toBeChecked();
});

test('the status filter and sorting change the rows', async ({ page }, testInfo) => {
  await openUsers(page);
  // A column header on a desktop; "Sort by" on a phone, whose cards have no header row.
  if (testInfo.project.name === 'phone') {
    await page.getByRole('combobox', { name: 'Sort by' }).selectOption({ label: 'Name, ascending' });
    await expect(page).toHaveURL(/sort=name/);
  } else {
    await page.getByRole('link', { name: 'Name' }).click();
    await expect(page).toHaveURL(/sort=name/);
    await expect(page.getByRole('columnheader', { name: /Name/ })).toHaveAttribute('aria-sort', 'ascending');
  }
  // The bulk tests reset other users; nobody named Williams is among them.
  await page.getByRole('searchbox', { name: 'Search users' }).fill('williams');
  await expect(page).toHaveURL(/q=williams/);
  await expect(page.getByRole('checkbox', { name: 'Select 203 Noah Williams' })).toBeVisible();
  await page.getByLabel('Status').selectOption({ label: 'Setup Required' });
  await expect(page.getByText('No users match this search.')).toBeVisible();
  await expect(page).toHaveURL(/status=setup-required/);
});

test('the users page fits the screen without sideways scrolling', async ({ page }, testInfo) => {
  await openUsers(page);
  await page.getByRole('checkbox', { name: 'Select 202 Liam Johnson' }).check();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `screenshots/users-${testInfo.project.name}.png` });
});

test('an address with a search, a filter and an order keeps them once the app wakes', async ({ page }) => {
  await signIn(page, manager);
  // A bookmark, a shared link or a reload: the list, the box and the select all say what it asks for.
  await page.goto('/domains/demo.example/users?q=williams&status=active&sort=name&dir=desc');
  await hydrated(page);
  const search = page.getByRole('searchbox', { name: 'Search users' });
  await expect(search).toHaveValue('williams');
  await expect(page.getByLabel('Status')).toHaveValue('active');
  await expect(page.getByRole('checkbox', { name: 'Select 203 Noah Williams' })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Select 201 Ava Smith' })).toHaveCount(0);
  // Ticking a row waits for the app to answer, by which time a search it wrongly ran would have
  // replaced the address and the rows.
  await page.getByRole('checkbox', { name: 'Select 203 Noah Williams' }).check();
  await expect(page.getByRole('button', { name: 'Bulk Action (1)' })).toBeVisible();
  await expect(page).toHaveURL(/\?q=williams&status=active&sort=name&dir=desc$/);
  await expect(search).toHaveValue('williams');
  await expect(page.getByRole('checkbox', { name: 'Select 201 Ava Smith' })).toHaveCount(0);
});
