import { expect, test, checkbox, hiresManager, hydrated, resetAndRecycle, rowOf, signIn } from './fixtures';
import type { Page, TestInfo } from '@playwright/test';

// The admin's browser is in Berlin, the server in UTC: the time is chosen, and shown, in Berlin's.
test.use({ timezoneId: 'Europe/Berlin' });

/** hires.example's extensions for this project (scripts/e2e.sh): 201–210 desktop, 211–220 phone. */
function hires(testInfo: TestInfo, offset: number, count: number): string[] {
  const base = testInfo.project.name === 'phone' ? 211 : 201;
  return Array.from({ length: count }, (_, i) => String(base + offset + i));
}

async function openHires(page: Page) {
  await signIn(page, hiresManager);
  await expect(page).toHaveURL(/\/domains\/hires\.example\/users$/);
  await hydrated(page);
}

/** Ticks the users and opens Bulk Action's Reset Users step. */
async function resetStep(page: Page, users: string[]) {
  for (const extension of users) await checkbox(page, extension).check();
  await page.getByRole('button', { name: `Bulk Action (${users.length})` }).click();
  await page.getByRole('dialog', { name: 'Bulk Action' }).getByRole('button', { name: 'Reset Users' }).click();
  return page.getByRole('dialog', { name: 'Reset Users' });
}

test('paste six rows from a spreadsheet: the form fills, errors are shown where they are, fixed, saved', async ({ page }, testInfo) => {
  const users = hires(testInfo, 0, 4);
  await openHires(page);
  const step = await resetStep(page, users);
  const form = await resetAndRecycle(page, step);
  const template = form.getByRole('link', { name: 'Download template' });
  const download = page.waitForEvent('download');
  await template.click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('new-hires.csv');
  const fs = await import('node:fs/promises');
  const csv = await fs.readFile(await file.path(), 'utf8');
  expect(csv).toBe(`Extension,First Name,Last Name,Email\r\n${users.map((extension) => `${extension},,,\r\n`).join('')}`);

  // As copied from a spreadsheet: tab-separated, with a header; one extension not in the form, one bad row.
  const [a, b, c, d] = users;
  const rows = [
    'Extension\tFirst Name\tLast Name\tEmail',
    `${a}\tNina\tPark\tnina.park@example.com`,
    `${b}\tOmar\tReyes\tomar@`,
    `${c}\tPia\tQuinn\t`,
    '999\tSam\tNobody\t',
    `${d}\tRay\tStone\tray.stone@example.com`,
    '2x5\tBad\tRow\t',
  ];
  await form.getByLabel('Paste from a spreadsheet').fill(rows.join('\r\n') + '\r\n');

  const row = (extension: string) => form.getByRole('group', { name: `Extension ${extension}` });
  await expect(row(a).getByLabel('First Name')).toHaveValue('Nina');
  await expect(row(a).getByLabel('Email', { exact: true })).toHaveValue('nina.park@example.com');
  await expect(row(c).getByLabel('Last Name')).toHaveValue('Quinn');
  await expect(row(d).getByLabel('First Name')).toHaveValue('Ray');
  await expect(row(b).getByText("'omar@' is not a valid email address.")).toBeVisible();
  await expect(row(b).getByLabel('Email', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  const unused = form.getByRole('list', { name: 'Rows not used' });
  await expect(unused.getByRole('listitem')).toHaveText([
    'Line 5: extension 999 is not among the users being recycled.',
    'Line 7: “2x5” is not an extension (2 to 10 digits).',
  ]);
  await page.screenshot({ path: `screenshots/recycle-paste-${testInfo.project.name}.png` });

  await row(b).getByLabel('Email', { exact: true }).fill('omar.reyes@example.com');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Recycle complete')).toBeVisible();
  await form.getByRole('button', { name: 'Close' }).click();
  for (const [extension, name] of [[a, 'Nina Park'], [b, 'Omar Reyes'], [c, 'Pia Quinn'], [d, 'Ray Stone']]) {
    await expect(rowOf(page, extension)).toContainText(name);
    await expect(rowOf(page, extension)).toContainText('Password Required');
  }
});

test('schedule a reset a few seconds ahead: banner and Activity show it, it runs, then recycle from Activity', async ({ page, jobs }, testInfo) => {
  const users = hires(testInfo, 4, 2);
  // Held until the banner and Activity have been looked at, however long that takes.
  jobs.hold('hires.example');
  await openHires(page);
  const step = await resetStep(page, users);
  await expect(step.getByRole('radio', { name: 'Now' })).toBeChecked();
  await step.getByRole('radio', { name: 'At' }).check();
  const time = step.getByLabel('Date and time');
  await expect(time).toHaveAccessibleDescription('Your time zone: Europe/Berlin');
  // Ten seconds ahead, in the browser's (Berlin's) local time, as the date-time field takes it.
  const local = await page.evaluate(() => {
    const at = new Date(Date.now() + 10_000);
    const two = (n: number) => String(n).padStart(2, '0');
    const seconds = at.getSeconds() === 0 ? '' : `:${two(at.getSeconds())}`;
    return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}${seconds}`;
  });
  await time.fill(local);
  await step.getByRole('button', { name: 'Next' }).click();

  const confirm = page.getByRole('dialog', { name: 'Confirm Reset' });
  await expect(confirm.getByText(/^These 2 users will be reset on \w+day \d+ \w+ at \d\d:\d\d \(Europe\/Berlin\)\. Until then nothing changes\.$/)).toBeVisible();
  await page.screenshot({ path: `screenshots/schedule-confirm-${testInfo.project.name}.png` });
  await confirm.getByRole('button', { name: 'Schedule Reset' }).click();

  const waiting = page.getByRole('dialog', { name: 'Reset Progress' });
  await expect(waiting.getByText(/^These 2 users will be reset on .*\(Europe\/Berlin\)\. Until then nothing changes\.$/)).toBeVisible();
  await waiting.getByRole('button', { name: 'Close' }).click();
  const banner = page.getByRole('status').filter({ hasText: /^Reset scheduled: 2 users, \w{3} \d+ \w{3} \d\d:\d\d \(Europe\/Berlin\)/ });
  await expect(banner).toBeVisible();
  await expect(banner.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();
  await expect(banner.getByRole('button', { name: 'Run now' })).toBeVisible();
  // Nothing has changed yet, and the scheduled users are no longer ticked.
  for (const extension of users) {
    await expect(rowOf(page, extension)).toContainText(`Leaving Person${extension}`);
    await expect(checkbox(page, extension)).not.toBeChecked();
  }

  await page.getByRole('link', { name: 'Activity' }).click();
  const job = page.getByRole('row').filter({ hasText: /Scheduled for \w{3} \d+ \w{3} \d\d:\d\d \(Europe\/Berlin\)/ });
  await expect(job).toHaveCount(1);
  await expect(job.getByRole('button', { name: 'Run now' })).toBeVisible();
  await page.screenshot({ path: `screenshots/schedule-activity-${testInfo.project.name}.png` });
  // The row of this job, whatever its outcome: the other project's jobs are listed too.
  const csv = await job.getByRole('link', { name: /^Download CSV of bulk action \d+$/ }).getAttribute('aria-label');
  const ours = page.getByRole('row').filter({ has: page.getByRole('link', { name: csv ?? '', exact: true }) });

  // Its time comes: the worker runs it, and the Users page follows it to its end by itself.
  jobs.release('hires.example');
  await page.getByRole('link', { name: 'Switchboard' }).click();
  for (const extension of users) {
    await expect(rowOf(page, extension)).toContainText('Setup Required', { timeout: 30_000 });
  }
  await expect(page.getByRole('status').filter({ hasText: /^Reset (scheduled|in progress)/ })).toHaveCount(0);

  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(ours).toContainText('2 done, 0 failed');
  await expect(ours).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  await ours.getByRole('button', { name: /^Recycle Users/ }).click();

  const form = page.getByRole('dialog', { name: 'Recycle Users' });
  for (const [i, extension] of users.entries()) {
    const row = form.getByRole('group', { name: `Extension ${extension}` });
    await row.getByLabel('First Name').fill(['Una', 'Vic'][i]);
    await row.getByLabel('Last Name').fill('Newhire');
  }
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Recycle complete')).toBeVisible();
  await form.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('link', { name: 'Switchboard' }).click();
  await expect(rowOf(page, users[0])).toContainText('Una Newhire');
  await expect(rowOf(page, users[1])).toContainText('Password Required');
});
