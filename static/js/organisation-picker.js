// The organisation type-ahead (stakeholders.forms.OrganisationPicker, templates/stakeholders/_organisation_picker.html):
// choosing an organisation from the list of matches with the mouse or the keyboard. The list itself is
// fetched by htmx (data-hx-get on the search box); this file only handles choosing. Listeners sit on the document,
// so pickers that htmx swaps in (the invitations panel) work too.
(function () {
  "use strict";

  function pickerOf(element) {
    return element.closest ? element.closest("[data-org-picker]") : null;
  }

  function parts(picker) {
    return {
      search: picker.querySelector("[data-org-search]"),
      hidden: picker.querySelector("input[name='organisation']"),
      options: picker.querySelector("[data-org-options]"),
      chosen: picker.querySelector("[data-org-chosen]"),
    };
  }

  function optionButtons(picker) {
    return Array.from(picker.querySelectorAll("[data-org-options] [data-org-id]:not([disabled])"));
  }

  function choose(button) {
    const p = parts(pickerOf(button));
    p.hidden.value = button.dataset.orgId;
    p.search.value = button.dataset.orgName;
    p.search.dataset.chosenName = button.dataset.orgName;
    p.chosen.textContent = p.chosen.dataset.chosenLabel + " " + button.dataset.orgName;
    p.options.replaceChildren();
    p.search.focus();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-org-options] [data-org-id]");
    if (button && !button.disabled && pickerOf(button)) {
      event.preventDefault();
      choose(button);
    }
  });

  document.addEventListener("input", function (event) {
    const search = event.target.closest("[data-org-search]");
    if (!search || !pickerOf(search)) return;
    // Typing again drops the earlier choice, so the hidden id never disagrees with the box.
    if (search.value !== search.dataset.chosenName) {
      const p = parts(pickerOf(search));
      p.hidden.value = "";
      p.chosen.textContent = "";
      delete search.dataset.chosenName;
    }
  });

  document.addEventListener("keydown", function (event) {
    const picker = pickerOf(event.target);
    if (!picker) return;
    const buttons = optionButtons(picker);
    const p = parts(picker);
    if (event.target === p.search) {
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
        p.options.replaceChildren();
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
      (index === 0 ? p.search : buttons[index - 1]).focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      p.options.replaceChildren();
      p.search.focus();
    }
  });

  // A form shown again with its choice (after an error) keeps it until the box is typed in.
  function remember(root) {
    root.querySelectorAll("[data-org-picker]").forEach(function (picker) {
      const p = parts(picker);
      if (p.search && p.hidden && p.hidden.value) {
        p.search.dataset.chosenName = p.search.value;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    remember(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    remember(event.target);
  });
})();
