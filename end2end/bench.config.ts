import { defineConfig } from '@playwright/test';

// The browser part of `make bench` (scripts/bench-browser.sh): figures, not pass/fail tests, so it is
// kept apart from the suite `make test` runs.
export default defineConfig({
  testDir: './bench',
  testMatch: /.*\.bench\.ts$/,
  timeout: 15 * 60_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3998',
    actionTimeout: 60_000,
    navigationTimeout: 60_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    },
  },
});
