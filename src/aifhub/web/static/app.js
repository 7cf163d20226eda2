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

// The menu button of narrow screens (the CSS shows it only with <html class="js">, so without
// script the menu stays open): it opens and closes the menu; Escape closes it again.
document.documentElement.classList.add("js");
const menuButton = document.querySelector(".menu-toggle");
const menu = menuButton ? document.getElementById(menuButton.getAttribute("aria-controls")) : null;
function setMenu(open) {
  menuButton.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("open", open);
}
if (menuButton && menu) {
  menuButton.addEventListener("click", () => {
    setMenu(menuButton.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menuButton.getAttribute("aria-expanded") === "true") {
      setMenu(false);
      menuButton.focus();
    }
  });
}

// A table wider than its wrapper scrolls inside it: the wrapper then takes the keyboard focus
// (arrow keys scroll it). The catalogue's facets fold on a narrow screen, above the results.
const narrow = window.matchMedia("(max-width: 860px)");
function fitTables(root) {
  for (const wrap of root.querySelectorAll(".table-wrap")) {
    if (wrap.scrollWidth > wrap.clientWidth) {
      wrap.setAttribute("tabindex", "0");
    } else if (wrap.getAttribute("tabindex") === "0") {
      wrap.removeAttribute("tabindex");
    }
  }
}
function foldFacets(root) {
  for (const facets of root.querySelectorAll("details.facets")) {
    facets.open = !narrow.matches;
  }
}
fitTables(document);
foldFacets(document);
window.addEventListener("resize", () => fitTables(document));
narrow.addEventListener("change", () => foldFacets(document));
document.addEventListener("htmx:afterSwap", (event) => {
  fitTables(event.target);
  foldFacets(event.target);
});
