import { expect, hydrated, openUsers, test } from './fixtures';
import { isBundle, recordNetwork } from './network';

// The bundle is what a phone on a slow network waits for: it must come compressed, once.

test('the bundle comes brotli-compressed, and a second visit to the Users page fetches none of it', async ({ page }) => {
  const network = await recordNetwork(page);
  await openUsers(page);
  const first = network.transfers().filter((t) => isBundle(t.url));
  expect(first.map((t) => new URL(t.url).pathname.split('.').pop()).sort()).toEqual(['css', 'js', 'wasm']);
  for (const transfer of first) {
    expect(transfer.status, transfer.url).toBe(200);
    expect(transfer.encoding, transfer.url).toBe('br');
    expect(transfer.cacheControl, transfer.url).toBe('public, max-age=31536000, immutable');
    // Named by their content: a new build cannot be mistaken for this one.
    expect(new URL(transfer.url).pathname).toMatch(/^\/pkg\/switchboard\.[A-Za-z0-9_-]{6,}\.(wasm|js|css)$/);
  }
  const wasm = first.find((t) => t.url.endsWith('.wasm'))!;
  expect(wasm.bytes).toBeGreaterThan(0);

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
});
