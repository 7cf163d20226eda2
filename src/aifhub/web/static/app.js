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
// A field with data-default-from="<select id>" follows the chosen option's data-gpus until the
// user edits it (the job form: 1 GPU on a GPU partition, 0 on a CPU one). Capture phase: the
// value is set before HTMX asks for the estimate of the change.
document.addEventListener("input", (event) => {
  const el = event.target;
  if (el instanceof HTMLInputElement && el.hasAttribute("data-default-from")) {
    el.dataset.edited = "1";
  }
});
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.id) {
    return;
  }
  const option = select.selectedOptions[0];
  for (const field of document.querySelectorAll(`input[data-default-from="${select.id}"]`)) {
    if (!field.dataset.edited && option && option.dataset.gpus !== undefined) {
      field.value = option.dataset.gpus;
    }
  }
}, true);
