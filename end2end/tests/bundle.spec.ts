import { checkbox, expect, hydrated, openUsers, test } from './fixtures';
import { isBundle, recordNetwork, Transfer } from './network';

// The bundle is what a phone on a slow network waits for: it must come compressed, once. The Bulk
// Action dialog's steps are a part of their own (`#[lazy]`, `cargo leptos build --split`), fetched
// the first time the dialog opens.

const STEPS = /\/pkg\/split_steps_\d+\.[A-Za-z0-9_-]{6,}\.wasm$/;

function expectCompressedAndNamedByContent(transfers: Transfer[]) {
  for (const transfer of transfers) {
    expect(transfer.status, transfer.url).toBe(200);
    expect(transfer.encoding, transfer.url).toBe('br');
    expect(transfer.cacheControl, transfer.url).toBe('public, max-age=31536000, immutable');
    // Named by their content: a new build cannot be mistaken for this one.
    expect(new URL(transfer.url).pathname).toMatch(/^\/pkg\/(switchboard|__wasm_split|split_steps_\d+)\.[A-Za-z0-9_-]{6,}\.(wasm|js|css)$/);
  }
}

test('the bundle comes brotli-compressed, and a second visit to the Users page fetches none of it', async ({ page }) => {
  const network = await recordNetwork(page);
  await openUsers(page);
  const first = network.transfers().filter((t) => isBundle(t.url));
  // The app, its loader of parts, the stylesheet: not the dialog's steps.
  expect(first.map((t) => new URL(t.url).pathname.split('.').pop()).sort()).toEqual(['css', 'js', 'js', 'wasm']);
  expectCompressedAndNamedByContent(first);
  const wasm = first.find((t) => t.url.endsWith('.wasm'))!;
  expect(wasm.bytes).toBeGreaterThan(0);

  // Opening Bulk Action fetches its steps, once.
  network.clear();
  await checkbox(page, '201').check();
  await page.getByRole('button', { name: 'Bulk Action (1)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog.getByRole('listitem')).toHaveText(['201 Ava Smith']);
  const steps = network.transfers().filter((t) => isBundle(t.url));
  expect(steps.map((t) => new URL(t.url).pathname)).toEqual([expect.stringMatching(STEPS)]);
  expectCompressedAndNamedByContent(steps);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Clear selection' }).click();

  network.clear();
  await page.goto(page.url());
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Bulk Action' })).toBeVisible();
  const again = network.transfers().filter((t) => isBundle(t.url));
  expect(again.map((t) => new URL(t.url).pathname).sort()).toEqual(first.map((t) => new URL(t.url).pathname).sort());
  for (const transfer of again) {
    expect(transfer.fromCache, transfer.url).toBe(true);
    expect(transfer.bytes, transfer.url).toBe(0);
  }
  // The page itself is personal and never cached.
  const html = network.transfers().find((t) => new URL(t.url).pathname === '/domains/demo.example/users')!;
  expect(html.cacheControl).toBe('no-store');
  expect(html.bytes).toBeGreaterThan(0);

  // And the dialog's steps come from the cache too.
  network.clear();
  await checkbox(page, '201').check();
  await page.getByRole('button', { name: 'Bulk Action (1)' }).click();
  await expect(page.getByRole('dialog', { name: 'Bulk Action' }).getByRole('listitem')).toHaveText(['201 Ava Smith']);
  const stepsAgain = network.transfers().filter((t) => isBundle(t.url));
  expect(stepsAgain.map((t) => t.url)).toEqual(steps.map((t) => t.url));
  for (const transfer of stepsAgain) expect([transfer.fromCache, transfer.bytes], transfer.url).toEqual([true, 0]);
});
