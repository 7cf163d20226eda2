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
