// The error summary at the top of a posted form (templates/includes/_error_summary.html): it takes the focus
// when the page (or an htmx swap) brings it, so screen readers announce it and the keyboard starts there;
// following one of its links moves the focus to the field, with its label in view.
(function () {
  "use strict";

  function focusSummary(root) {
    const summary = root.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusSummary(document);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    focusSummary(event.target);
  });

  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    const field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    event.preventDefault();
    const label = field.labels && field.labels.length ? field.labels[0] : field;
    label.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();
