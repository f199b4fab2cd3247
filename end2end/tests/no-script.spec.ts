import { Browser, Page, TestInfo } from '@playwright/test';
import { expect, test, manager, signIn } from './fixtures';

// The server's page before the app wakes (or with scripts off) must already say what the address and
// the saved settings say: the app takes over what the page shows, and a form sent from it sends it.
// (Its own browser context: the shared page's checks run scripts in it.)
async function withoutScripts(browser: Browser, testInfo: TestInfo, use: (page: Page) => Promise<void>) {
  const context = await browser.newContext({ ...testInfo.project.use, javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await signIn(page, manager);
    await use(page);
  } finally {
    await context.close();
  }
}

test('the server renders the search, filter and order of the address', async ({ browser }, testInfo) => {
  await withoutScripts(browser, testInfo, async (page) => {
    await page.goto('/domains/demo.example/users?q=williams&status=active&sort=name');
    await expect(page.getByRole('searchbox', { name: 'Search users' })).toHaveValue('williams');
    await expect(page.getByLabel('Status')).toHaveValue('active');
    await expect(page.getByRole('checkbox', { name: 'Select 203 Noah Williams' })).toBeVisible();
    await expect(page.getByRole('checkbox', { name: 'Select 201 Ava Smith' })).toHaveCount(0);
  });
});

test('the server renders the saved deprovisioning options ticked', async ({ browser }, testInfo) => {
  await withoutScripts(browser, testInfo, async (page) => {
    await page.goto('/domains/demo.example/provisioning');
    await expect(page.getByRole('checkbox', { name: 'Name' })).toBeChecked();
    await expect(page.getByRole('checkbox', { name: 'Voicemail Greetings' })).toBeChecked();
  });
});
