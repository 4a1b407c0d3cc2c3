// The form that logs a received submission: choosing the organisation from the type-ahead list
// (mouse or keyboard), and switching between an existing and a new organisation.
// The list itself is fetched by htmx (data-hx-get on the search box); this file only handles choosing.
(function () {
  "use strict";

  function formOf(element) {
    return element.closest("[data-log-form]");
  }

  function parts(form) {
    return {
      search: form.querySelector("[data-org-search]"),
      hidden: form.querySelector("input[name='organisation']"),
      options: form.querySelector("[data-org-options]"),
      chosen: form.querySelector("#organisation-chosen"),
    };
  }

  function optionButtons(form) {
    return Array.from(form.querySelectorAll("[data-org-options] [data-org-id]"));
  }

  function choose(button) {
    const form = formOf(button);
    const p = parts(form);
    p.hidden.value = button.dataset.orgId;
    p.search.value = button.dataset.orgName;
    p.search.dataset.chosenName = button.dataset.orgName;
    p.chosen.textContent = p.chosen.dataset.chosenLabel + " " + button.dataset.orgName;
    p.options.replaceChildren();
    p.search.focus();
  }

  function showModePanels(form) {
    const checked = form.querySelector("input[name='organisation_mode']:checked");
    const mode = checked ? checked.value : "existing";
    form.querySelectorAll("[data-org-mode-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.orgModePanel !== mode;
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-org-options] [data-org-id]");
    if (button && formOf(button)) {
      event.preventDefault();
      choose(button);
    }
  });

  document.addEventListener("input", function (event) {
    const search = event.target.closest("[data-org-search]");
    if (!search || !formOf(search)) return;
    // Typing again drops the earlier choice, so the hidden id never disagrees with the box.
    if (search.value !== search.dataset.chosenName) {
      const p = parts(formOf(search));
      p.hidden.value = "";
      p.chosen.textContent = "";
      delete search.dataset.chosenName;
    }
  });

  document.addEventListener("keydown", function (event) {
    const form = event.target.closest ? formOf(event.target) : null;
    if (!form) return;
    const buttons = optionButtons(form);
    const search = parts(form).search;
    if (event.target === search) {
      if (event.key === "ArrowDown" && buttons.length) {
        event.preventDefault();
        buttons[0].focus();
      } else if (event.key === "Enter" && buttons.length) {
        // While the list is open Enter does not submit the form: one match is taken, several get the focus.
        event.preventDefault();
        if (buttons.length === 1) {
          choose(buttons[0]);
        } else {
          buttons[0].focus();
        }
      } else if (event.key === "Escape") {
        parts(form).options.replaceChildren();
      }
      return;
    }
    const index = buttons.indexOf(event.target);
    if (index === -1) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      buttons[Math.min(index + 1, buttons.length - 1)].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (index === 0 ? search : buttons[index - 1]).focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      parts(form).options.replaceChildren();
      search.focus();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.name === "organisation_mode" && formOf(event.target)) {
      showModePanels(formOf(event.target));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-log-form]").forEach(function (form) {
      showModePanels(form);
      const p = parts(form);
      if (p.search && p.hidden && p.hidden.value) {
        p.search.dataset.chosenName = p.search.value;
      }
    });
  });
})();
