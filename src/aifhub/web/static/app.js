// Behaviour that would otherwise be inline handlers (the Content-Security-Policy forbids them).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.submit();
  }
});
document.addEventListener("click", (event) => {
  const el = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (el) {
    window.print();
  }
});
