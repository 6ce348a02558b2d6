// Timestamps in the reader's time zone: rewrite <time datetime> text with
// Intl.DateTimeFormat. Progressive enhancement: the server's text stays if
// anything here fails, and the ISO value stays in the title for reference.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) return;
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function localize(root) {
    root.querySelectorAll("time[datetime]:not([data-localized])").forEach(function (el) {
      const value = new Date(el.getAttribute("datetime"));
      if (isNaN(value.getTime())) return;
      el.title = el.getAttribute("datetime");
      el.textContent = format.format(value);
      el.dataset.localized = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:afterSwap", function (event) { localize(event.target); });
})();
