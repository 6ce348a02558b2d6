// Small progressive enhancements; no inline handlers (the CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-fill]");
    if (!button) return;
    const target = document.querySelector(button.dataset.fill);
    if (target) {
      target.value = button.dataset.text || "";
      target.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches("textarea")) {
      const form = event.target.closest("form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    }
  });
  // Forms that start something long say so: data-busy-label on the form.
  document.addEventListener("submit", function (event) {
    const label = event.target.dataset.busyLabel;
    const button = label && event.target.querySelector("button[type=submit].primary");
    if (button) {
      button.disabled = true;
      button.textContent = label;
    }
  });
})();
