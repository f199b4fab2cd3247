import { expect, test, hydrated, locked, manager, signIn } from './fixtures';

test('the eleventh sign-in after ten failures is refused with the time to wait, even with the right password', async ({ page }, testInfo) => {
  const who = locked(testInfo.project.name);
  await page.goto('/login');
  await hydrated(page);
  for (let n = 1; n <= 10; n++) {
    await page.getByLabel('Login').fill(who.login);
    await page.getByLabel('Password').fill(`wrong password ${n}`);
    const answer = page.waitForResponse((response) => response.url().includes('/api/login'));
    await page.getByRole('button', { name: 'Log In' }).click();
    expect((await answer).status()).toBe(401);
    await expect(page.getByRole('alert')).toHaveText('Invalid login or password');
  }
  await page.getByLabel('Password').fill(who.password);
  const answer = page.waitForResponse((response) => response.url().includes('/api/login'));
  await page.getByRole('button', { name: 'Log In' }).click();
  expect((await answer).status()).toBe(429);
  await expect(page.getByRole('alert')).toHaveText('Too many failed sign-ins. Try again in 15 minutes.');
  await expect(page).toHaveURL(/\/login$/);
  await page.screenshot({ path: `screenshots/sign-in-locked-${testInfo.project.name}.png` });
});

test("another site's form cannot sign a browser in; the same post from the portal's own page can", async ({ page, baseURL }) => {
  // Where the sign-in form posts (the server function's address).
  await page.goto('/login');
  const signIn = await page.locator('form').getAttribute('action');
  expect(signIn).toMatch(/^\/api\/login/);
  // A page of another site with a form that posts the manager's credentials to the portal.
  await page.route('http://elsewhere.test/**', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!DOCTYPE html><title>Elsewhere</title>
        <form method="post" action="${baseURL}${signIn}">
          <input name="login" value="${manager.login}"><input name="password" value="${manager.password}">
          <button>Claim your prize</button>
        </form>`,
    }),
  );
  await page.goto('http://elsewhere.test/');
  const refused = page.waitForResponse((response) => response.url().includes('/api/login'));
  await page.getByRole('button', { name: 'Claim your prize' }).click();
  expect((await refused).status()).toBe(403);
  await page.goto('/domains/demo.example/users');
  await expect(page).toHaveURL(/\/login$/);

  // The very same form, posted from the portal's login page: signed in.
  await page.evaluate(({ login, password, action }) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = action;
    for (const [name, value] of Object.entries({ login, password })) {
      const input = document.createElement('input');
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }, { ...manager, action: signIn ?? '' });
  await expect(page).toHaveURL(/\/domains\/demo\.example\/users$/);
  await expect(page.getByRole('button', { name: 'Log Out' })).toBeVisible();
});

test('every page works under the Content-Security-Policy, which blocks a script that was not the server\'s', async ({ page, cspViolations }) => {
  const policies: string[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'document') policies.push(response.headers()['content-security-policy'] ?? '');
  });
  await page.goto('/set-password?token=not-a-real-link');
  await expect(page.getByRole('heading', { name: 'This link cannot be used' })).toBeVisible();
  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await signIn(page, manager);
  await hydrated(page);
  await page.getByRole('checkbox', { name: /^Select 201\b/ }).check();
  await page.getByRole('button', { name: 'Bulk Action (1)' }).click();
  await expect(page.getByRole('dialog', { name: 'Bulk Action' })).toBeVisible();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  for (const [link, heading] of [['Activity', 'Activity'], ['Outbox', 'Outbox']]) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
    await expect(page.getByRole('heading', { name: heading })).toBeVisible();
  }
  await page.goto('/me');
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
  expect(policies.length).toBeGreaterThanOrEqual(4);
  for (const policy of policies) expect(policy).toMatch(/script-src 'self' 'nonce-[\w-]+' 'wasm-unsafe-eval'/);

  // A script someone managed to put into the page does not run, and the browser says why.
  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true';
    document.body.append(script);
    return (window as unknown as { injected?: boolean }).injected === true;
  });
  expect(ran).toBe(false);
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  cspViolations.length = 0;
});
