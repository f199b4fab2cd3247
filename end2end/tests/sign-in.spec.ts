import { expect, test, basic, manager, signIn } from './fixtures';

test('a wrong password gets the generic message and no session', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Login').fill(manager.login);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid login or password');
  await expect(page).toHaveURL(/\/login$/);
});

test('an unknown login gets the very same message', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Login').fill('999@demo.example');
  await page.getByLabel('Password').fill(manager.password);
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid login or password');
});

test('an office manager lands on their users and can log out', async ({ page }) => {
  await signIn(page, manager);
  await expect(page).toHaveURL(/\/domains\/demo\.example\/users$/);
  await expect(page.getByRole('heading', { name: /Users/ })).toBeVisible();
  await page.getByRole('button', { name: 'Log Out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/domains/demo.example/users');
  await expect(page).toHaveURL(/\/login$/);
});

test('a basic user sees only a page about themselves', async ({ page }) => {
  await signIn(page, basic);
  await expect(page).toHaveURL(/\/me$/);
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
  await expect(page.getByText('191@demo.example')).toBeVisible();
  await page.goto('/domains/demo.example/users');
  await expect(page.getByRole('heading', { name: 'Not Allowed' })).toBeVisible();
  await expect(page.getByText('This page is for Office Managers and above.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'My Account' })).toBeVisible();
});
