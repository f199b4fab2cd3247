import { Page } from '@playwright/test';
import { expect, test, checkbox, extensions, forced, hiresManager, hydrated, manager, openUsers, resetAndRecycle, resetStep, rowOf, signIn } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

// Without a mail server the e2e server writes each email as an .eml file into OUTBOX_DIR (scripts/e2e.sh).
const OUTBOX_DIR = process.env.OUTBOX_DIR ?? '';

/** An email as a mail client shows it: quoted-printable (long lines) decoded. */
function decoded(eml: string): string {
  const bytes = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** The email to `address` whose subject is `subject` (decoded), once the server has written it. */
async function emailTo(address: string, subject: string): Promise<string> {
  let found = '';
  await expect(async () => {
    const files = fs.readdirSync(OUTBOX_DIR).filter((name) => name.endsWith('.eml'));
    const texts = files.map((name) => decoded(fs.readFileSync(path.join(OUTBOX_DIR, name), 'utf8')));
    found = texts.find((text) => text.includes(`To: ${address}`) && text.includes(`Subject: ${subject}`)) ?? '';
    expect(found, `an email to ${address} in ${OUTBOX_DIR}`).not.toBe('');
  }).toPass({ timeout: 15_000 });
  return found;
}

function linkIn(email: string): string {
  const link = email.match(/http:\/\/\S+\/set-password\?token=[A-Za-z0-9_-]{43}/);
  expect(link, email).not.toBeNull();
  return link![0];
}

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log Out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test('recycle with Send Welcome Email; the emailed link sets password and PIN; the new user signs in', async ({ page }, testInfo) => {
  const [user] = extensions(testInfo, 13, 1);
  const address = `wendy.${testInfo.project.name}@example.com`;
  await openUsers(page);
  const step = await resetStep(page, [user]);
  const form = await resetAndRecycle(page, step);
  const row = form.getByRole('group', { name: `Extension ${user}` });
  const welcome = row.getByRole('checkbox', { name: 'Send Welcome Email' });
  // Off and disabled without an address; on by default once one is typed.
  await expect(welcome).not.toBeChecked();
  await expect(welcome).toBeDisabled();
  await row.getByLabel('First Name').fill('Wendy');
  await row.getByLabel('Last Name').fill('Welcome');
  await row.getByLabel('Email', { exact: true }).fill(address);
  await expect(welcome).toBeChecked();
  await page.screenshot({ path: `screenshots/recycle-welcome-${testInfo.project.name}.png` });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Recycle complete')).toBeVisible();
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(rowOf(page, user)).toContainText('Password Required');

  const email = await emailTo(address, 'Welcome to Switchboard: set your password');
  expect(email).toContain(`Login: ${user}@demo.example`);
  expect(email).toContain('Content-Type: text/html');
  const link = linkIn(email);

  // The new holder opens the link in a browser where nobody is signed in.
  await logOut(page);
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Set Password' })).toBeVisible();
  await expect(page.getByText(`Welcome, Wendy Welcome. Extension ${user} at demo.example.`)).toBeVisible();
  await hydrated(page);
  // Only the server knows the common passwords: its answer is shown at the field all the same.
  await page.getByLabel('New Password', { exact: true }).fill('password123');
  await page.getByLabel('Confirm Password').fill('password123');
  await page.getByLabel('Voicemail PIN').fill('2580');
  await page.getByRole('button', { name: 'Set Password' }).click();
  await expect(page.getByText('This password is too common; choose one that is harder to guess.')).toBeVisible();
  await expect(page.getByLabel('New Password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('New Password', { exact: true }).fill('morning coffee ritual');
  await page.getByLabel('Confirm Password').fill('morning coffee ritual');
  await page.getByLabel('Voicemail PIN').fill('1234');
  await page.getByRole('button', { name: 'Set Password' }).click();
  await expect(page.getByLabel('Voicemail PIN')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('The voicemail PIN must not be a run of digits, like 1234 or 4321.')).toBeVisible();
  await page.screenshot({ path: `screenshots/set-password-${testInfo.project.name}.png` });
  await page.getByLabel('Voicemail PIN').fill('2580');
  await page.getByRole('button', { name: 'Set Password' }).click();

  // Active and signed in, on their own page.
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: 'Wendy Welcome' })).toBeVisible();
  await expect(page.getByRole('definition').filter({ hasText: /^Active$/ })).toBeVisible();
  await logOut(page);
  await signIn(page, { login: `${user}@demo.example`, password: 'morning coffee ritual' });

  // The link worked once.
  await logOut(page);
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'This link cannot be used' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('This link has already been used.');
});

test('Force Password Reset ends the user’s session and makes them choose a new password', async ({ page, browser }, testInfo) => {
  const who = forced(testInfo.project.name);
  const extension = who.login.split('@')[0];
  const theirs = await (await browser.newContext()).newPage();
  await signIn(theirs, who);
  await expect(theirs.getByRole('heading', { name: 'My Account' })).toBeVisible();

  await openUsers(page);
  await checkbox(page, extension).check();
  await page.getByRole('button', { name: 'Bulk Action (1)' }).click();
  const actions = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(actions.getByRole('button', { name: 'Send Welcome Email' })).toBeVisible();
  await page.screenshot({ path: `screenshots/bulk-actions-${testInfo.project.name}.png` });
  await actions.getByRole('button', { name: 'Force Password Reset' }).click();
  const confirm = page.getByRole('dialog', { name: 'Force Password Reset' });
  await expect(confirm.getByText(
    '1 user must choose a new password at next sign-in and is signed out everywhere now. They get a link to choose it by email.',
  )).toBeVisible();
  await page.screenshot({ path: `screenshots/force-reset-${testInfo.project.name}.png` });
  await confirm.getByRole('button', { name: 'Force Password Reset' }).click();
  const progress = page.getByRole('dialog', { name: 'Password Reset Progress' });
  await expect(progress.getByText('Password reset complete')).toBeVisible({ timeout: 15_000 });
  await progress.getByRole('button', { name: 'Close' }).click();
  await expect(rowOf(page, extension)).toContainText('Password Required');

  // Their open session has ended.
  await theirs.reload();
  await expect(theirs).toHaveURL(/\/login$/);
  // Signing in with the old password leads to Change Password, and nowhere else until it is done.
  await theirs.getByLabel('Login').fill(who.login);
  await theirs.getByLabel('Password').fill(who.password);
  await theirs.getByRole('button', { name: 'Log In' }).click();
  await expect(theirs.getByRole('heading', { name: 'Change Password' })).toBeVisible();
  await expect(theirs).toHaveURL(/\/change-password$/);
  await theirs.goto('/me');
  await expect(theirs).toHaveURL(/\/change-password$/);
  await hydrated(theirs);
  await theirs.getByLabel('New Password', { exact: true }).fill('fresh start again');
  await theirs.getByLabel('Confirm Password').fill('fresh start agian');
  await theirs.getByRole('button', { name: 'Change Password' }).click();
  await expect(theirs.getByText('The passwords do not match.')).toBeVisible();
  await theirs.screenshot({ path: `screenshots/change-password-${testInfo.project.name}.png` });
  await theirs.getByLabel('Confirm Password').fill('fresh start again');
  await theirs.getByRole('button', { name: 'Change Password' }).click();
  await expect(theirs.getByRole('heading', { name: 'My Account' })).toBeVisible();
  await theirs.context().close();

  // The Outbox lists the reset link sent to them.
  await page.getByRole('link', { name: 'Outbox' }).click();
  await expect(page.getByRole('heading', { name: 'Outbox' })).toBeVisible();
  const address = `forced.${extension === '193' ? 'phone' : 'desktop'}@demo.example`;
  const row = page.getByRole('row').filter({ hasText: address }).first();
  await expect(row).toContainText('Switchboard: choose a new password');
  await expect(row.getByRole('cell').last()).toContainText(/^Sent/, { timeout: 10_000 });
  await page.screenshot({ path: `screenshots/outbox-${testInfo.project.name}.png` });
});

test('Force Password Reset can revoke the current password: it stops working at once, the link is the way back', async ({ page, browser }, testInfo) => {
  const extension = testInfo.project.name === 'phone' ? '231' : '230';
  const who = { login: `${extension}@hires.example`, password: 'e2e-revoked-password' };
  const theirs = await (await browser.newContext()).newPage();
  await signIn(theirs, who);

  await signIn(page, hiresManager);
  await hydrated(page);
  await checkbox(page, extension).check();
  await page.getByRole('button', { name: 'Bulk Action (1)' }).click();
  await page.getByRole('dialog', { name: 'Bulk Action' }).getByRole('button', { name: 'Force Password Reset' }).click();
  const confirm = page.getByRole('dialog', { name: 'Force Password Reset' });
  const choice = confirm.getByRole('group', { name: 'Their current password' });
  await expect(choice.getByRole('radio', { name: 'Keep it until they choose a new one' })).toBeChecked();
  await choice.getByRole('radio', { name: 'Sign them out and revoke the current password' }).check();
  await expect(confirm.getByText(
    '1 user is signed out everywhere now, and the current password stops working at once. A link to choose a new one goes to each by email.',
  )).toBeVisible();
  await page.screenshot({ path: `screenshots/force-reset-revoke-${testInfo.project.name}.png` });
  await confirm.getByRole('button', { name: 'Force Password Reset' }).click();
  const progress = page.getByRole('dialog', { name: 'Password Reset Progress' });
  await expect(progress.getByText('Password reset complete')).toBeVisible({ timeout: 15_000 });
  await progress.getByRole('button', { name: 'Close' }).click();

  // Signed out, and the password no longer opens anything, not even Change Password.
  await theirs.reload();
  await expect(theirs).toHaveURL(/\/login$/);
  await theirs.getByLabel('Login').fill(who.login);
  await theirs.getByLabel('Password').fill(who.password);
  await theirs.getByRole('button', { name: 'Log In' }).click();
  await expect(theirs.getByText('Invalid login or password')).toBeVisible();
  await theirs.context().close();
});
