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

// The job page's output tabs (links without JS: ?tab=stderr). The live fragment is swapped
// every few seconds; the chosen tab travels in #job-tab-choice and is applied again after a
// swap, and a log scrolled to its end keeps following the end.
let chosenJobTab = null;
function selectJobTab(name, focus) {
  chosenJobTab = name;
  document.querySelectorAll("[data-job-tab]").forEach((tab) => {
    const on = tab.getAttribute("data-job-tab") === name;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.setAttribute("tabindex", on ? "0" : "-1");
    if (on && focus) tab.focus();
  });
  document.querySelectorAll("[data-job-panel]").forEach((panel) => {
    panel.hidden = panel.getAttribute("data-job-panel") !== name;
  });
  const choice = document.getElementById("job-tab-choice");
  if (choice) choice.value = name;
}
document.addEventListener("click", (event) => {
  const tab = event.target instanceof Element ? event.target.closest("[data-job-tab]") : null;
  if (tab) {
    event.preventDefault();
    selectJobTab(tab.getAttribute("data-job-tab"), true);
    history.replaceState(null, "", tab.getAttribute("href"));
  }
});
document.addEventListener("keydown", (event) => {
  const tab = event.target instanceof Element ? event.target.closest("[data-job-tab]") : null;
  if (!tab || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
  const tabs = Array.from(document.querySelectorAll("[data-job-tab]"));
  const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
  event.preventDefault();
  selectJobTab(next.getAttribute("data-job-tab"), true);
  history.replaceState(null, "", next.getAttribute("href"));
});
const jobLogEnds = {};
function logAtEnd(log) {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 8;
}
document.addEventListener("htmx:beforeSwap", (event) => {
  if (!(event.target instanceof Element) || event.target.id !== "job-live") return;
  event.target.querySelectorAll("pre.job-log").forEach((log) => {
    jobLogEnds[log.id] = logAtEnd(log) ? null : log.scrollTop;
  });
});
document.addEventListener("htmx:afterSettle", () => {
  const choice = document.getElementById("job-tab-choice");
  if (!choice) return;
  selectJobTab(chosenJobTab || choice.value, false);
  document.querySelectorAll("pre.job-log").forEach((log) => {
    const kept = jobLogEnds[log.id];
    log.scrollTop = kept === undefined || kept === null ? log.scrollHeight : kept;
  });
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("pre.job-log").forEach((log) => {
    log.scrollTop = log.scrollHeight;
  });
});
