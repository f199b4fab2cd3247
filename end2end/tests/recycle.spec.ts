import { crowdManager, expect, hydrated, resetAndRecycle, signIn, test } from './fixtures';

// Recycle Users for more extensions than it builds at first (40): the rest are built as the list's end
// comes near or "Show 5 more rows" is pressed, and nothing typed or pasted into any row is lost.

test('a long Recycle Users form: rows not built yet are filled, counted when they need attention, and reached', async ({ page }, testInfo) => {
  const group = testInfo.project.name === 'phone' ? 'phone' : 'desk';
  const first = testInfo.project.name === 'phone' ? 400 : 300;
  const extensions = Array.from({ length: 45 }, (_, i) => String(first + i));
  await signIn(page, crowdManager);
  await hydrated(page);
  await page.getByRole('searchbox', { name: 'Search users' }).fill(group);
  await expect(page.getByRole('checkbox', { name: /^Select \d+/ })).toHaveCount(45);
  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  await page.getByRole('button', { name: 'Bulk Action (45)' }).click();
  await page.getByRole('dialog', { name: 'Bulk Action' }).getByRole('button', { name: 'Reset Users' }).click();
  const form = await resetAndRecycle(page, page.getByRole('dialog', { name: 'Reset Users' }));
  const row = (extension: string) => form.getByRole('group', { name: `Extension ${extension}` });
  // The first 40 are built; the rest wait below.
  await expect(form.getByRole('group')).toHaveCount(40);
  await expect(form.getByRole('button', { name: 'Show 5 more rows' })).toBeAttached();
  await expect(row(extensions[44])).toHaveCount(0);

  // Typed into the first row, pasted into the others, one of them (not built yet) with a bad email.
  await row(extensions[0]).getByLabel('First Name').fill('Kept');
  await row(extensions[0]).getByLabel('Last Name').fill('Typed');
  const bad = extensions[42];
  const pasted = extensions.slice(1).map((ext) => `${ext}\tNew${ext}\tHire\t${ext === bad ? 'nobody@' : `new${ext}@example.com`}`);
  await form.getByLabel('Paste from a spreadsheet').fill(['Extension\tFirst Name\tLast Name\tEmail', ...pasted].join('\n'));
  // Said where the admin is, in the bar that stays in view.
  const attention = form.getByText('1 row below needs attention.');
  await expect(attention).toBeInViewport();
  await page.screenshot({ path: `screenshots/recycle-attention-${testInfo.project.name}.png` });

  // "Show" builds down to it and puts the cursor in its bad field.
  await attention.getByRole('button', { name: 'Show' }).click();
  const email = row(bad).getByLabel('Email', { exact: true });
  await expect(email).toBeFocused();
  await expect(email).toHaveValue('nobody@');
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(attention).toHaveCount(0);
  await email.fill(`new${bad}@example.com`);

  // Scrolling to the end builds the rest, filled as pasted; the first row kept what was typed.
  await form.getByRole('group').last().scrollIntoViewIfNeeded();
  await expect(form.getByRole('group')).toHaveCount(45);
  await expect(row(extensions[44]).getByLabel('First Name')).toHaveValue(`New${extensions[44]}`);
  await expect(row(extensions[0]).getByLabel('First Name')).toHaveValue('Kept');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Recycle complete')).toBeVisible();
  await form.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('searchbox', { name: 'Search users' }).fill(`New${extensions[44]}`);
  await expect(page.getByRole('checkbox', { name: `Select ${extensions[44]} New${extensions[44]} Hire` })).toBeVisible();
});
