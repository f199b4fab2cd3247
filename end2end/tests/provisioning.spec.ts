import { expect, test, hydrated, manager, signIn } from './fixtures';

// The Provisioning page of demo.example: what an admin pastes into Okta or Entra ID, the API tokens,
// and what a deactivation from the identity provider clears.

test('an admin makes an API token, copies it once, the identity provider uses it, and revoking it shuts it out', async ({ page, baseURL }, testInfo) => {
  const name = `Okta ${testInfo.project.name}`;
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  await signIn(page, manager);
  // An Office Manager's way there: the Activity page (the Domains page is above their scope's menu).
  await page.getByRole('link', { name: 'Activity' }).click();
  await page.getByRole('link', { name: 'Provisioning of demo.example' }).click();
  await expect(page.getByRole('heading', { name: 'Provisioning', level: 1 })).toBeVisible();
  await hydrated(page);
  // Reached in the browser, not from the server: the tab's title follows the page's domain.
  await expect(page).toHaveTitle('Provisioning · demo.example · Switchboard');
  await expect(page.getByRole('textbox', { name: 'SCIM base URL' })).toHaveValue(`${baseURL}/scim/v2`);

  // A name is required, said at the field.
  await page.getByRole('button', { name: 'Create Token' }).click();
  await expect(page.getByRole('textbox', { name: 'Token name' })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Name the token')).toBeVisible();

  await page.getByRole('textbox', { name: 'Token name' }).fill(name);
  await page.getByRole('button', { name: 'Create Token' }).click();
  const shown = page.getByRole('textbox', { name: 'New API token' });
  await expect(shown).toHaveValue(/^sbscim_[A-Za-z0-9_-]{43}$/);
  const token = await shown.inputValue();
  await expect(page.getByText(`Copy the token ${name} now:`)).toBeVisible();
  await page.getByRole('button', { name: 'Copy New API token' }).click();
  await expect(page.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('190@demo.example');
  await expect(row).toContainText('Never');

  const asIdentityProvider = { headers: { Authorization: `Bearer ${token}` } };
  const lookup = await page.request.get('/scim/v2/Users?filter=userName%20eq%20%22nobody%40demo.example%22', asIdentityProvider);
  expect(lookup.status()).toBe(200);
  expect((await lookup.json()).totalResults).toBe(0);

  // Shown once: after a reload only its name is left.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('textbox', { name: 'New API token' })).toHaveCount(0);
  await expect(row).not.toContainText('Never');

  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await row.getByRole('button', { name: `Confirm revoking ${name}` }).click();
  await expect(page.getByRole('row').filter({ hasText: name })).toHaveCount(0);
  const refused = await page.request.get('/scim/v2/Users', asIdentityProvider);
  expect(refused.status()).toBe(401);
  expect((await refused.json()).status).toBe('401');

  // The Activity page names who did what.
  await page.goto('/activity');
  const changes = page.getByRole('table').filter({ hasText: `Revoked the API token ${name}` });
  await expect(changes).toBeVisible();
  await expect(changes).toContainText(`Created the API token ${name}`);
});

test('the deprovisioning options are kept as chosen', async ({ page }) => {
  await signIn(page, manager);
  await page.goto('/domains');
  await page.getByRole('link', { name: 'Provisioning of demo.example' }).click();
  await expect(page.getByRole('heading', { name: 'Provisioning', level: 1 })).toBeVisible();
  await hydrated(page);
  const greetings = page.getByRole('checkbox', { name: 'Voicemail Greetings' });
  await expect(greetings).toBeChecked();
  await greetings.uncheck();
  await page.getByRole('button', { name: 'Save Deprovisioning Options' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('checkbox', { name: 'Voicemail Greetings' })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Name' })).toBeChecked();

  // Back as it was, for the other project's run.
  await page.getByRole('checkbox', { name: 'Voicemail Greetings' }).check();
  await page.getByRole('button', { name: 'Save Deprovisioning Options' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
});
