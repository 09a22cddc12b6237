// Behaviour for every page. Templates hold no inline scripts or event handlers (the
// Content-Security-Policy allows scripts from our static files only): they mark elements with
// data attributes and this file wires them up.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function each(selector, fn) {
    document.querySelectorAll(selector).forEach(fn);
  }

  function pollProgress(bar) {
    if (bar.dataset.finished === "1") return;
    var inner = bar.querySelector(".progress-bar");
    function tick() {
      fetch(bar.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) {
            bar.setAttribute("aria-valuenow", data.percent);
            inner.style.width = data.percent + "%";
            inner.textContent = data.percent + " %";
            document.getElementById(bar.dataset.doneId).textContent = data.done;
            if (data.finished) { window.location.reload(); return; }
          }
          setTimeout(tick, 700);
        })
        .catch(function () { setTimeout(tick, 700); });
    }
    setTimeout(tick, 300);
  }

  // Something finishing in the background (an activation on its way to the network): poll the
  // status URL and reload the page once it says finished.
  function reloadWhenFinished(el) {
    function tick() {
      fetch(el.dataset.statusUrl, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.finished) { window.location.reload(); return; }
          setTimeout(tick, 1500);
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 1000);
  }

  ready(function () {
    // Selects that submit their form when changed (language, company and branch switchers).
    each("select[data-autosubmit]", function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Forms that ask for confirmation first: data-confirm="question".
    each("form[data-confirm]", function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    // Forms submitted once: the submit button is disabled after the first click.
    each("form[data-once]", function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]") || form.querySelector("button");
        if (button) button.disabled = true;
      });
    });
    // "Select all" checkbox of the bulk send list.
    each("#select-all", function (all) {
      all.addEventListener("change", function () {
        each(".row-check", function (box) { box.checked = all.checked; });
      });
    });
    // Widths given as data (progress bars), since style attributes are not allowed.
    each("[data-width-percent]", function (el) {
      el.style.width = el.dataset.widthPercent + "%";
    });
    // A fieldset shown only while a checkbox is ticked: data-shown-by="<checkbox id>".
    each("[data-shown-by]", function (el) {
      var box = document.getElementById(el.dataset.shownBy);
      if (!box) return;
      function sync() { el.classList.toggle("d-none", !box.checked); }
      box.addEventListener("change", sync);
      sync();
    });
    // Forms that open a page named by an input: data-goto-base + the value + "/".
    each("form[data-goto-base]", function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var value = form.querySelector("input[name]").value.trim();
        if (value) window.location = form.dataset.gotoBase + encodeURIComponent(value) + "/";
      });
    });
    // Progress bars of bulk sends and imports poll their status URL until finished.
    each(".progress[data-status-url][data-done-id]", pollProgress);
    each("[data-reload-when-finished][data-status-url]", reloadWhenFinished);
    if (window.bootstrap) {
      each("[data-agreement-warning]", function (el) {
        window.bootstrap.Popover.getOrCreateInstance(el);
      });
      // A modal to open when the page loads (e.g. the form came back with errors).
      each(".modal[data-show-on-load]", function (el) {
        window.bootstrap.Modal.getOrCreateInstance(el).show();
      });
    }
  });
})();
