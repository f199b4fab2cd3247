// Runs in every page's head, before the body arrives (ui/before_hydration.rs puts it there). The
// server's page is on screen a second or two before the app's code has arrived and woken it
// (`html[data-hydrated]`), and people use it meanwhile: on a phone, the first checkbox is tapped the
// moment it shows. What the browser does by itself works as it is (links, checkboxes, typing, a search
// submitted with Enter) and the app reads the ticks and the typed search when it wakes. What needs the
// app is kept here instead of lost: the last button pressed shows busy and is pressed again once the
// app is awake; a changed filter submits its form; "Sort by" follows its choice. A tap anywhere on a
// user's row ticks its box, before and after waking alike (one place for that rule).
(() => {
  const root = document.documentElement;
  const awake = () => root.hasAttribute('data-hydrated');
  let pressed = null;

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const row = target.closest('[data-row-ticks]');
    const control = target.closest('input, a, button, label, select, textarea');
    if (row && !control) {
      // Not at the end of a drag that selected text, which is reading, not ticking.
      const selection = window.getSelection();
      const box = row.querySelector('input[type=checkbox]');
      if (box && !(selection && !selection.isCollapsed)) box.click();
      return;
    }
    const button = target.closest('button[type=button]');
    if (awake() || !button) return;
    if (pressed) pressed.removeAttribute('aria-busy');
    pressed = button;
    button.setAttribute('aria-busy', 'true');
  }, true);

  document.addEventListener('change', (event) => {
    if (awake() || !(event.target instanceof HTMLSelectElement)) return;
    const select = event.target;
    if (select.hasAttribute('data-submits') && select.form) select.form.requestSubmit();
    else if (select.hasAttribute('data-goes')) window.location.assign(select.value);
  }, true);

  new MutationObserver((_, observer) => {
    if (!awake()) return;
    observer.disconnect();
    if (!pressed) return;
    pressed.removeAttribute('aria-busy');
    if (pressed.isConnected) pressed.click();
  }).observe(root, { attributes: true, attributeFilter: ['data-hydrated'] });
})();
