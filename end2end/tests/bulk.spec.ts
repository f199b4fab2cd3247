import {
  expect, test, checkbox, extensions, hydrated, manager, openUsers, resetStep, rowOf, signIn, watchRequests,
} from './fixtures';

// A test that watches a job part-way holds its domain's jobs and lets users through itself (`jobs`),
// so that what it sees does not depend on how fast the worker is.

const DEFAULT_ON = ['Name', 'Email Address', 'Password', 'Voicemail PIN', 'Additional Phones/Devices'];
const DEFAULT_OFF = [
  'Voicemail Messages', 'Voicemail Greetings', 'Answering Rules', 'Contacts', 'Call History', 'Call Queue Memberships',
];

test('reset three users: options, exact figures, live progress, and the new status in the table', async ({ page, jobs }, testInfo) => {
  const users = extensions(testInfo, 0, 3);
  await openUsers(page);
  const step = await resetStep(page, users);
  for (const name of DEFAULT_ON) await expect(step.getByRole('checkbox', { name, exact: true })).toBeChecked();
  for (const name of DEFAULT_OFF) await expect(step.getByRole('checkbox', { name, exact: true })).not.toBeChecked();
  await expect(step.getByRole('checkbox', { name: 'Recycle Users' })).not.toBeChecked();
  await step.getByRole('button', { name: 'Next' }).click();

  const confirm = page.getByRole('dialog', { name: 'Confirm Reset' });
  await expect(confirm.getByText(/^\d+ devices? will be deleted for 3 users\.$/)).toBeVisible();
  await expect(confirm.getByText('Name, Email Address, Password and Voicemail PIN will be cleared for 3 users.')).toBeVisible();
  await expect(confirm.getByText('This cannot be undone.')).toBeVisible();
  await page.screenshot({ path: `screenshots/confirm-reset-${testInfo.project.name}.png` });
  const requests = watchRequests(page);
  jobs.hold('demo.example');
  await confirm.getByRole('button', { name: 'Reset' }).click();

  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  const bar = progress.getByRole('progressbar', { name: 'Reset progress' });
  await expect(bar).toHaveAttribute('aria-valuemax', '3');
  await expect(progress.getByText(/^0 of 3 users reset/)).toBeVisible();
  // A job that stands still says why.
  const why = progress.getByText(/^Paused by your service provider: the users not done yet are untouched/);
  await expect(why).toBeVisible();
  // While the job stands still, nothing is asked of the server over and over: its progress is pushed,
  // not polled for (polling would ask several times a second).
  const quiet = watchRequests(page);
  await page.waitForTimeout(2_000);
  expect(quiet.busiest().times, quiet.sent().join('\n')).toBeLessThanOrEqual(2);
  // One user let through: the bar is seen part-way before it is full.
  jobs.letThrough('demo.example', 1);
  await expect(bar).toHaveAttribute('aria-valuenow', '1');
  await expect(progress.getByText(/^1 of 3 users reset/)).toBeVisible();
  // Transitions finished first: the bar is shown at its width, not part-way to it.
  await page.screenshot({ path: `screenshots/reset-progress-${testInfo.project.name}.png`, animations: 'disabled' });
  jobs.release('demo.example');
  await expect(progress.getByText('Reset complete')).toBeVisible({ timeout: 15_000 });
  await expect(why).toBeHidden();
  await expect(bar).toHaveAttribute('aria-valuenow', '3');
  await expect(progress.getByText('3 of 3 users reset')).toBeVisible();
  await expect(progress.getByRole('list', { name: 'Users' }).getByRole('listitem')).toHaveCount(3);
  expect(requests.sent().filter((request) => request.includes('/events')).length).toBeGreaterThan(0);
  await expect(progress.getByRole('button', { name: 'Next' })).toHaveCount(0);
  await progress.getByRole('button', { name: 'Close' }).click();
  await expect(progress).toBeHidden();
  // Done with them: they are no longer ticked.
  await expect(page.getByRole('button', { name: 'Bulk Action' })).toBeDisabled();

  // The table caught up by itself: blank names, Setup Required.
  for (const extension of users) {
    await expect(rowOf(page, extension)).toContainText('Setup Required');
    await expect(checkbox(page, extension)).toHaveAccessibleName(`Select ${extension}`);
  }
});

test('Select All Options ticks every option, again unticks them all, and Next needs one', async ({ page }, testInfo) => {
  const [user] = extensions(testInfo, 3, 1);
  await openUsers(page);
  const step = await resetStep(page, [user]);
  const selectAll = step.getByRole('checkbox', { name: 'Select All Options' });
  const next = step.getByRole('button', { name: 'Next' });

  await page.screenshot({ path: `screenshots/reset-users-${testInfo.project.name}.png` });
  await selectAll.check();
  for (const name of [...DEFAULT_ON, ...DEFAULT_OFF]) await expect(step.getByRole('checkbox', { name, exact: true })).toBeChecked();
  await selectAll.uncheck();
  for (const name of [...DEFAULT_ON, ...DEFAULT_OFF]) await expect(step.getByRole('checkbox', { name, exact: true })).not.toBeChecked();
  await expect(next).toBeDisabled();
  await step.getByRole('checkbox', { name: 'Contacts' }).check();
  await expect(next).toBeEnabled();

  await step.getByRole('button', { name: 'Cancel' }).click();
  await expect(step).toBeHidden();
  await expect(rowOf(page, user)).toContainText('Active');
});

test('reset and recycle: a row left invalid keeps what was typed and says what is wrong', async ({ page }, testInfo) => {
  const [first, second] = extensions(testInfo, 4, 2);
  await openUsers(page);
  const step = await resetStep(page, [first, second]);
  await step.getByRole('checkbox', { name: 'Recycle Users' }).check();
  // What the new people would otherwise inherit from the former holders is ticked too, and says why.
  for (const name of ['Voicemail Messages', 'Voicemail Greetings', 'Contacts', 'Call History']) {
    await expect(step.getByRole('checkbox', { name, exact: true })).toBeChecked();
  }
  await expect(step.getByRole('checkbox', { name: 'Recycle Users' })).toHaveAccessibleDescription(
    /Voicemail Messages, Voicemail Greetings, Contacts and Call History are ticked too, so that the new people do not get the former holders' own/,
  );
  // The admin may hand some of it over on purpose.
  await step.getByRole('checkbox', { name: 'Contacts', exact: true }).uncheck();
  await step.getByRole('button', { name: 'Next' }).click();
  const confirm = page.getByRole('dialog', { name: 'Confirm Reset' });
  await expect(confirm.getByText('When the reset is done, you can give the extensions to new people.')).toBeVisible();
  await expect(confirm.getByText(/^\d+ devices?, \d+ voicemail messages?, \d+ voicemail greetings? and \d+ call history entr(y|ies) will be deleted for 2 users\.$/)).toBeVisible();
  await confirm.getByRole('button', { name: 'Reset' }).click();

  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(progress.getByText('Reset complete')).toBeVisible({ timeout: 15_000 });
  await expect(progress.getByRole('button', { name: 'Close' })).toHaveCount(0);
  await progress.getByRole('button', { name: 'Next' }).click();

  const form = page.getByRole('dialog', { name: 'Recycle Users' });
  const nina = form.getByRole('group', { name: `Extension ${first}` });
  const omar = form.getByRole('group', { name: `Extension ${second}` });
  // demo.example uses portal security: the Email field says why it matters.
  await expect(nina.getByLabel('Email', { exact: true })).toHaveAccessibleDescription(/^Recommended: this domain uses portal security/);
  await nina.getByLabel('First Name').fill('Nina');
  await nina.getByLabel('Last Name').fill('Park');
  await nina.getByLabel('Email', { exact: true }).fill('nina.park@example.com');
  await omar.getByLabel('First Name').fill('Omar');
  await omar.getByLabel('Email', { exact: true }).fill('omar@');
  await form.getByRole('button', { name: 'Save' }).click();

  await expect(nina.getByText('Saved')).toBeVisible();
  await expect(omar.getByText('Last Name is required.')).toBeVisible();
  await expect(omar.getByText("'omar@' is not a valid email address.")).toBeVisible();
  await expect(omar.getByLabel('Last Name')).toHaveAttribute('aria-invalid', 'true');
  await expect(omar.getByLabel('First Name')).toHaveValue('Omar');
  await expect(omar.getByLabel('Email', { exact: true })).toHaveValue('omar@');
  await page.screenshot({ path: `screenshots/recycle-users-${testInfo.project.name}.png` });

  await omar.getByLabel('Last Name').fill('Reyes');
  await omar.getByLabel('Email', { exact: true }).fill('');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Recycle complete')).toBeVisible();
  await form.getByRole('button', { name: 'Close' }).click();

  await expect(rowOf(page, first)).toContainText('Nina Park');
  await expect(rowOf(page, first)).toContainText('Password Required');
  await expect(rowOf(page, second)).toContainText('Omar Reyes');
  await expect(rowOf(page, second)).toContainText('Password Required');
});

test('users reset earlier are recycled from Bulk Action; anyone not reset is named and refused', async ({ page }, testInfo) => {
  const [user] = extensions(testInfo, 10, 1);
  await openUsers(page);
  const step = await resetStep(page, [user]);
  await step.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('dialog', { name: 'Confirm Reset' }).getByRole('button', { name: 'Reset' }).click();
  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(progress.getByText('Reset complete')).toBeVisible({ timeout: 15_000 });
  await progress.getByRole('button', { name: 'Close' }).click();

  await checkbox(page, '201').check();
  await checkbox(page, user).check();
  await page.getByRole('button', { name: 'Bulk Action (2)' }).click();
  const actions = page.getByRole('dialog', { name: 'Bulk Action' });
  await actions.getByRole('button', { name: 'Recycle Users' }).click();
  await expect(actions.getByRole('alert')).toHaveText('Only reset users (Setup Required) can be recycled; reset 201 first.');
  await actions.getByRole('button', { name: 'Cancel' }).click();

  await checkbox(page, '201').uncheck();
  await page.getByRole('button', { name: 'Bulk Action (1)' }).click();
  await page.getByRole('dialog', { name: 'Bulk Action' }).getByRole('button', { name: 'Recycle Users' }).click();
  const form = page.getByRole('dialog', { name: 'Recycle Users' });
  const row = form.getByRole('group', { name: `Extension ${user}` });
  await row.getByLabel('First Name').fill('Pia');
  await row.getByLabel('Last Name').fill('Quinn');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Recycle complete')).toBeVisible();
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(rowOf(page, user)).toContainText('Pia Quinn');
  await expect(rowOf(page, user)).toContainText('Password Required');
});

test('a reload mid-job loses nothing: the banner re-opens the progress', async ({ page, jobs }, testInfo) => {
  const users = extensions(testInfo, 6, 4);
  await openUsers(page);
  const step = await resetStep(page, users);
  await step.getByRole('button', { name: 'Next' }).click();
  jobs.hold('demo.example');
  await page.getByRole('dialog', { name: 'Confirm Reset' }).getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByRole('dialog', { name: 'Reset Progress' }).getByRole('progressbar')).toBeVisible();
  jobs.letThrough('demo.example', 1);
  await expect(page.getByRole('dialog', { name: 'Reset Progress' }).getByText(/^1 of 4 users reset/)).toBeVisible();

  await page.reload();
  await hydrated(page);
  const banner = page.getByRole('button', { name: 'Reset in progress: 1 of 4' });
  await expect(banner).toBeVisible();
  // Held after the one let through: the banner says so.
  await expect(banner).toHaveAccessibleName('Reset in progress: 1 of 4 (paused by your service provider)');
  await banner.click();
  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(progress.getByRole('progressbar', { name: 'Reset progress' })).toHaveAttribute('aria-valuemax', '4');
  await expect(progress.getByText(/^1 of 4 users reset/)).toBeVisible();
  jobs.release('demo.example');
  await expect(progress.getByText('Reset complete')).toBeVisible({ timeout: 15_000 });
  await progress.getByRole('button', { name: 'Close' }).click();
  await expect(banner).toBeHidden();
  for (const extension of users) await expect(rowOf(page, extension)).toContainText('Setup Required');
});

test('the Activity page lists the jobs and offers each one as CSV', async ({ page }, testInfo) => {
  await signIn(page, manager);
  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByRole('heading', { name: 'Activity' })).toBeVisible();
  const link = page.getByRole('link', { name: /^Download CSV/ }).first();
  await expect(link).toBeVisible();
  await page.screenshot({ path: `screenshots/activity-${testInfo.project.name}.png` });
  const download = page.waitForEvent('download');
  await link.click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^switchboard-demo\.example-job-\d+\.csv$/);
});

test('Cancel Job, confirmed, stops the job: users done stay done and the rest are left as they were', async ({ page, jobs }, testInfo) => {
  // Between the two projects' ranges of `extensions`, and on the first page.
  const first = testInfo.project.name === 'phone' ? 218 : 222;
  const users = [0, 1, 2, 3].map((i) => String(first + i));
  await openUsers(page);
  const step = await resetStep(page, users);
  await step.getByRole('button', { name: 'Next' }).click();
  jobs.hold('demo.example');
  await page.getByRole('dialog', { name: 'Confirm Reset' }).getByRole('button', { name: 'Reset' }).click();

  // Two users are reset, then the job stands still until it is cancelled.
  const progress = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(progress.getByText(/^0 of 4 users reset/)).toBeVisible();
  jobs.letThrough('demo.example', 2);
  await expect(progress.getByText(/^2 of 4 users reset/)).toBeVisible();
  await progress.getByRole('button', { name: 'Cancel Job' }).click();
  const question = progress.getByRole('group', { name: /^Cancel this job\?/ });
  await expect(question).toBeVisible();
  await question.getByRole('button', { name: 'Cancel Job' }).click();

  await expect(progress.getByText('Job cancelled')).toBeVisible();
  await expect(progress.getByText(/^Cancelled: 2 of 4 users reset/)).toBeVisible();
  const done = 2;
  const listed = progress.getByRole('list', { name: 'Users' }).getByRole('listitem');
  await expect(listed.filter({ hasText: 'Cancelled' })).toHaveCount(4 - done);
  await expect(progress.getByRole('button', { name: 'Cancel Job' })).toHaveCount(0);
  await progress.getByRole('button', { name: 'Close' }).click();

  // The table: the first users were reset, the others kept their names and status.
  for (const [i, extension] of users.entries()) {
    await expect(rowOf(page, extension)).toContainText(i < done ? 'Setup Required' : 'Active');
  }
});
