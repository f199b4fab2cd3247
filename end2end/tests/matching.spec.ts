import { expect, test, hydrated, manyManager, signIn } from './fixtures';

test('select every user a search matches across pages: counted in the confirmation, and the job takes them all', async ({ page, jobs }, testInfo) => {
  // Each project has its own 55 users (scripts/e2e.sh): "Desk" for desktop, "Phone" for the phone.
  const name = testInfo.project.name === 'phone' ? 'phone' : 'desk';
  await signIn(page, manyManager);
  await expect(page).toHaveURL(/\/domains\/many\.example\/users$/);
  await hydrated(page);
  await page.getByRole('searchbox', { name: 'Search users' }).fill(name);
  await expect(page).toHaveURL(new RegExp(`q=${name}`));
  await expect(page.getByText('Page 1 of 2 · 55 users')).toBeVisible();

  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  await expect(page.getByText('All 50 users on this page are selected.')).toBeVisible();
  await page.getByRole('button', { name: 'Select all 55 users that match' }).click();
  await expect(page.getByText('All 55 matching users are selected.')).toBeVisible();
  // The next page's users are selected too.
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByText(/Page 2 of 2/)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: /^Select \d+/ }).first()).toBeChecked();

  await page.getByRole('button', { name: 'Bulk Action (55)' }).click();
  const actions = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(actions.getByText(`Selected: all 55 users that match “${name}”.`)).toBeVisible();
  await expect(actions.getByRole('button', { name: 'Recycle Users' })).toBeDisabled();
  await actions.getByRole('button', { name: 'Reset Users' }).click();
  await page.getByRole('dialog', { name: 'Reset Users' }).getByRole('button', { name: 'Next' }).click();
  const confirm = page.getByRole('dialog', { name: 'Confirm Reset' });
  await expect(confirm.getByText('Name, Email Address, Password and Voicemail PIN will be cleared for 55 users.')).toBeVisible();
  jobs.hold('many.example');
  await confirm.getByRole('button', { name: 'Reset' }).click();

  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(progress.getByRole('progressbar', { name: 'Reset progress' })).toHaveAttribute('aria-valuemax', '55');
  // Once it has begun, cancel it: the other project needs the rest of these users.
  jobs.letThrough('many.example', 1);
  await expect(progress.getByText(/^1 of 55 users reset/)).toBeVisible();
  await progress.getByRole('button', { name: 'Cancel Job' }).click();
  await progress.getByRole('group', { name: /^Cancel this job\?/ }).getByRole('button', { name: 'Cancel Job' }).click();
  await expect(progress.getByText('Job cancelled')).toBeVisible();
});

test('a new search clears a selection of all matches', async ({ page }) => {
  await signIn(page, manyManager);
  await hydrated(page);
  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  await page.getByRole('button', { name: /^Select all \d+ users that match$/ }).click();
  await expect(page.getByText(/^All \d+ matching users are selected\.$/)).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search users' }).fill('dana');
  await expect(page).toHaveURL(/q=dana/);
  await expect(page.getByRole('button', { name: 'Bulk Action' })).toBeDisabled();
});
