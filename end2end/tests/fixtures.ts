import { expect, Page } from '@playwright/test';

// Created by scripts/e2e.sh with these passwords.
export const manager = { login: '190@demo.example', password: 'e2e-manager-password' };
export const basic = { login: '191@demo.example', password: 'e2e-basic-password' };

export async function signIn(page: Page, who: { login: string; password: string }) {
  await page.goto('/login');
  await page.getByLabel('Login').fill(who.login);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByRole('button', { name: 'Log Out' })).toBeVisible();
}
