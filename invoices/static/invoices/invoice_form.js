// Live totals for the invoice draft form. The server recomputes everything on save; this only
// mirrors the same rules (line = qty x price rounded to cents, VAT per category/rate group).
(function () {
  "use strict";
  const rows = document.getElementById("line-rows");
  if (!rows) return;
  const total = document.getElementById("id_lines-TOTAL_FORMS");
  const template = document.getElementById("empty-line");
  const cents = (n) => Math.round((n + Number.EPSILON) * 100);
  const fmt = (c) => (c / 100).toFixed(2);
  const field = (row, name) => row.querySelector(`[name$="-${name}"]`);

  function styleInputs(row) {
    row.querySelectorAll("input[type=text], input[type=number], textarea").forEach((el) => el.classList.add("form-control", "form-control-sm"));
    row.querySelectorAll("select").forEach((el) => el.classList.add("form-select", "form-select-sm"));
    row.querySelectorAll("input[type=checkbox]").forEach((el) => el.classList.add("form-check-input"));
  }

  function recompute() {
    const groups = new Map();
    const names = new Map();
    let excl = 0;
    rows.querySelectorAll("tr.line-row").forEach((row) => {
      const del = field(row, "DELETE");
      if (del && del.checked) { row.classList.add("opacity-50"); return; }
      row.classList.remove("opacity-50");
      const qty = parseFloat((field(row, "quantity").value || "0").replace(",", "."));
      const price = parseFloat((field(row, "unit_price").value || "0").replace(",", "."));
      const category = field(row, "vat_category").value;
      const rate = category === "S" ? parseFloat(field(row, "vat_rate").value || "0") : 0;
      const amount = isFinite(qty * price) ? cents(qty * price) : 0;
      row.querySelector(".line-amount").textContent = fmt(amount);
      excl += amount;
      const key = `${category}|${rate}`;
      groups.set(key, (groups.get(key) || 0) + amount);
      // The rate's name as the server words it ("15 % - Reduced rate (foodstuffs)"), else the
      // category's name: never a bare code.
      const select = category === "S" ? field(row, "vat_rate") : field(row, "vat_category");
      const option = select.options[select.selectedIndex];
      const text = option ? option.textContent : category;
      names.set(key, category === "S" && text.includes(" - ") ? text.split(" - ").slice(1).join(" - ") : text);
    });
    let vat = 0;
    const summary = document.getElementById("vat-summary");
    summary.replaceChildren();
    for (const [key, taxable] of groups) {
      const [category, rate] = key.split("|");
      const tax = category === "S" ? Math.round(taxable * parseFloat(rate) / 100) : 0;
      vat += tax;
      const tr = document.createElement("tr");
      for (const text of [names.get(key) || category, `${rate} %`, fmt(taxable), fmt(tax)]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      summary.appendChild(tr);
    }
    document.getElementById("total-excl").textContent = fmt(excl);
    document.getElementById("total-vat").textContent = fmt(vat);
    document.getElementById("total-incl").textContent = fmt(excl + vat);
  }

  const addButton = document.getElementById("add-line");
  const maxLines = parseInt(document.getElementById("id_lines-MAX_NUM_FORMS").value, 10);
  addButton.addEventListener("click", () => {
    const index = parseInt(total.value, 10);
    // The form's stated limit: the server refuses more lines, so the button stops there.
    if (index >= maxLines) {
      addButton.disabled = true;
      return;
    }
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    const body = document.createElement("tbody");
    body.innerHTML = html;
    const row = body.querySelector("tr");
    styleInputs(row);
    rows.appendChild(row);
    total.value = String(index + 1);
    addButton.disabled = index + 1 >= maxLines;
    recompute();
  });
  rows.addEventListener("input", recompute);
  rows.addEventListener("change", recompute);
  rows.querySelectorAll("tr.line-row").forEach(styleInputs);
  recompute();
})();
