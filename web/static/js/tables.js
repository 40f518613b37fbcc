// Client-side filter box and column sorting for tables marked up by the templates:
//   <input data-filter-table="ID">      filters the rows of table#ID by their text
//   <table class="sortable"><th data-sort="text|number">   sorts by a column on click;
//   a cell's data-sort-value, when present, is what it sorts by.
(function () {
  "use strict";

  function rowsOf(table) {
    return Array.from(table.tBodies[0] ? table.tBodies[0].rows : []);
  }

  function setupFilter(input) {
    const table = document.getElementById(input.dataset.filterTable);
    if (!table) return;
    const empty = table.closest(".tablewrap")?.parentElement?.querySelector(".filter-empty");
    const apply = function () {
      const terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const row of rowsOf(table)) {
        const text = row.textContent.toLowerCase();
        const match = terms.every(function (t) { return text.includes(t); });
        row.hidden = !match;
        if (match) shown += 1;
      }
      if (empty) empty.hidden = shown > 0;
    };
    input.addEventListener("input", apply);
    if (input.value) apply();  // the browser may restore the box's text on back
  }

  function sortKey(cell, kind) {
    const raw = cell.dataset.sortValue !== undefined ? cell.dataset.sortValue : cell.textContent.trim();
    if (kind === "number") {
      const n = parseFloat(raw);
      return Number.isNaN(n) ? -Infinity : n;
    }
    return raw.toLowerCase();
  }

  function setupSort(table) {
    const headers = Array.from(table.tHead ? table.tHead.rows[0].cells : []);
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
    headers.forEach(function (th, index) {
      const kind = th.dataset.sort;
      if (!kind) return;
      th.tabIndex = 0;
      const sort = function () {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const rows = rowsOf(table);
        rows.sort(function (a, b) {
          const ka = sortKey(a.cells[index], kind);
          const kb = sortKey(b.cells[index], kind);
          const order = kind === "number" ? ka - kb : collator.compare(ka, kb);
          return ascending ? order : -order;
        });
        const body = table.tBodies[0];
        for (const row of rows) body.appendChild(row);
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); }
      });
    });
  }

  document.querySelectorAll("input[data-filter-table]").forEach(setupFilter);
  document.querySelectorAll("table.sortable").forEach(setupSort);
})();
