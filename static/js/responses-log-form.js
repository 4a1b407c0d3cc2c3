// The form that logs a received submission: switching between an existing organisation (found with the
// type-ahead of static/js/organisation-picker.js) and a new one.
(function () {
  "use strict";

  function showModePanels(form) {
    const checked = form.querySelector("input[name='organisation_mode']:checked");
    const mode = checked ? checked.value : "existing";
    form.querySelectorAll("[data-org-mode-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.orgModePanel !== mode;
    });
  }

  document.addEventListener("change", function (event) {
    const form = event.target.closest("[data-log-form]");
    if (event.target.name === "organisation_mode" && form) {
      showModePanels(form);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-log-form]").forEach(showModePanels);
  });
})();
