// Customer number inputs: fill their <datalist> from the tenant-scoped search endpoint as the
// user types (a few matches at a time, never the whole customer list).
(function () {
  "use strict";
  document.querySelectorAll("input[data-customer-search]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var last = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = input.value.trim();
        if (!q || q === last || !list) return;
        last = q;
        fetch(input.dataset.customerSearch + "?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            if (input.value.trim() !== q) return; // a newer query is on its way
            list.replaceChildren.apply(list, data.results.map(function (customer) {
              var option = document.createElement("option");
              option.value = customer.number;
              option.label = customer.number + " " + customer.name;
              option.textContent = customer.number + " " + customer.name;
              return option;
            }));
          })
          .catch(function () { /* offline: the field still accepts a typed number */ });
      }, 150);
    });
  });
})();
