import { expect, Page, TestInfo } from '@playwright/test';

// Created by scripts/e2e.sh with these passwords.
export const manager = { login: '190@demo.example', password: 'e2e-manager-password' };
export const basic = { login: '191@demo.example', password: 'e2e-basic-password' };
/** A Basic User whose password reset the tests force: 192 for the desktop project, 193 for the phone. */
export function forced(project: string) {
  return { login: project === 'phone' ? '193@demo.example' : '192@demo.example', password: 'e2e-forced-password' };
}

/** The page's buttons work once its WebAssembly has loaded: wait for it rather than click too soon. */
export async function hydrated(page: Page) {
  await page.waitForLoadState('networkidle');
}

export async function signIn(page: Page, who: { login: string; password: string }) {
  await page.goto('/login');
  await page.getByLabel('Login').fill(who.login);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByRole('button', { name: 'Log Out' })).toBeVisible();
}

// Each project (desktop, phone) works on its own extensions of demo.example, apart from the ones
// users.spec.ts looks at.
export function extensions(testInfo: TestInfo, offset: number, count: number): string[] {
  const base = testInfo.project.name === 'phone' ? 204 : 230;
  return Array.from({ length: count }, (_, i) => String(base + offset + i));
}

export function checkbox(page: Page, extension: string) {
  return page.getByRole('checkbox', { name: new RegExp(`^Select ${extension}\\b`) });
}

export function rowOf(page: Page, extension: string) {
  return page.getByRole('row').filter({ has: checkbox(page, extension) });
}

export async function openUsers(page: Page) {
  await signIn(page, manager);
  await expect(page).toHaveURL(/\/domains\/demo\.example\/users$/);
  // Page 1 shows the admins and 201–244; the tests' users are all on it.
  await expect(checkbox(page, '201')).toBeVisible();
  await hydrated(page);
}

/** Ticks the users, opens Bulk Action and goes on to the Reset Users step. */
export async function resetStep(page: Page, users: string[]) {
  for (const extension of users) await checkbox(page, extension).check();
  await page.getByRole('button', { name: `Bulk Action (${users.length})` }).click();
  const actions = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(actions.getByRole('listitem')).toHaveCount(users.length);
  await actions.getByRole('button', { name: 'Reset Users' }).click();
  const step = page.getByRole('dialog', { name: 'Reset Users' });
  await expect(step).toBeVisible();
  return step;
}

