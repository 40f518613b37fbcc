// Traffic graphs on the device page: one uPlot chart per <figure class="graph">, with data
// fetched from the JSON API (data-samples-url) using the session cookie. A toggle switches
// every graph between the last hour, day, week and month (the API answers the longer ranges
// with 5-minute or hourly averages from the rollups); visible graphs refresh every minute.
// Charts load when they scroll into view, so a device with hundreds of ports stays cheap.
(function () {
  "use strict";

  const REFRESH_MS = 60 * 1000;
  const RANGE_SECONDS = { "1h": 3600, "1d": 86400, "7d": 7 * 86400, "30d": 30 * 86400 };
  const HEIGHT = 200;
  const figures = Array.from(document.querySelectorAll("figure.graph[data-samples-url]"));
  if (!figures.length) return;
  if (typeof uPlot === "undefined") {
    figures.forEach(function (fig) { status(fig, "The chart library did not load."); });
    return;
  }

  let range = "1h";
  const charts = new Map();   // figure -> uPlot
  const visible = new Set();  // figures on screen

  function status(fig, text) {
    const el = fig.querySelector(".plot-status");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function formatBps(value) {
    if (value === null || value === undefined) return "–";
    const units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (const [scale, prefix] of units) {
      if (Math.abs(value) >= scale) return parseFloat((value / scale).toPrecision(3)) + " " + prefix + "b/s";
    }
    return parseFloat(value.toPrecision(3)) + " b/s";
  }

  // 24-hour clock, the date below the first tick and at midnight (uPlot's axis template:
  // tick step, format, then the formats used when the year/month/day/hour rolls over).
  const TIME_AXIS = [
    [86400, "{MM}-{DD}", "\n{YYYY}", null, null, null, null, null, 1],
    [3600, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{MM}-{DD}", null, null, null, 1],
    [60, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{MM}-{DD}", null, null, null, 1],
    [1, "{HH}:{mm}:{ss}", "\n{YYYY}-{MM}-{DD}", null, "\n{MM}-{DD}", null, null, null, 1],
  ];

  function toColumns(samples) {
    const ts = [], rx = [], tx = [];
    for (const s of samples) {
      ts.push(Date.parse(s.ts) / 1000);
      rx.push(s.in_bps);   // null after a counter discontinuity: uPlot draws a gap
      tx.push(s.out_bps);
    }
    return [ts, rx, tx];
  }

  function widthOf(fig) {
    return Math.max(240, fig.querySelector(".plot").clientWidth);
  }

  function makeChart(fig, data, win) {
    const opts = {
      width: widthOf(fig),
      height: HEIGHT,
      scales: {
        x: { time: true, range: function () { return [fig._win.since, fig._win.until]; } },
        y: { range: function (u, min, max) { return [0, Math.max(max || 0, 1000)]; } },
      },
      series: [
        { value: "{YYYY}-{MM}-{DD} {HH}:{mm}" },
        { label: "In", stroke: "#2463eb", fill: "rgba(36, 99, 235, 0.10)", width: 1.5, value: function (u, v) { return formatBps(v); } },
        { label: "Out", stroke: "#16a34a", fill: "rgba(22, 163, 74, 0.08)", width: 1.5, value: function (u, v) { return formatBps(v); } },
      ],
      axes: [
        { stroke: "#6b7585", grid: { stroke: "#eef1f5" }, values: TIME_AXIS },
        { stroke: "#6b7585", grid: { stroke: "#eef1f5" }, size: 78, values: function (u, vals) { return vals.map(formatBps); } },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    fig._win = win;
    return new uPlot(opts, data, fig.querySelector(".plot"));
  }

  async function load(fig) {
    const wanted = range;
    // Only the columns the chart draws: a day of samples is then a third of the bytes.
    const url = fig.dataset.samplesUrl + "?fields=ts,in_bps,out_bps&range=" + encodeURIComponent(wanted);
    let samples;
    try {
      const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (resp.status === 401) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
        return;
      }
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      samples = await resp.json();
    } catch (err) {
      status(fig, "Could not load samples (" + err.message + ").");
      fig.dataset.state = "error";
      return;
    }
    if (wanted !== range) return;  // the toggle moved on while this was in flight
    const until = Date.now() / 1000;
    const win = { since: until - RANGE_SECONDS[wanted], until: until };
    const data = toColumns(samples);
    let chart = charts.get(fig);
    if (chart) {
      fig._win = win;
      chart.setData(data);
    } else {
      chart = makeChart(fig, data, win);
      charts.set(fig, chart);
    }
    status(fig, data[0].length ? "" : "No samples in this range yet.");
    fig.dataset.points = String(data[0].length);
    fig.dataset.range = wanted;
    fig.dataset.state = "loaded";
  }

  const observer = "IntersectionObserver" in window
    ? new IntersectionObserver(function (entries) {
        for (const entry of entries) {
          if (entry.isIntersecting) {
            visible.add(entry.target);
            if (entry.target.dataset.range !== range) load(entry.target);
          } else {
            visible.delete(entry.target);
          }
        }
      }, { rootMargin: "200px" })
    : null;

  figures.forEach(function (fig) {
    if (observer) observer.observe(fig);
    else { visible.add(fig); load(fig); }
  });

  document.querySelectorAll(".toggle button[data-range]").forEach(function (button) {
    button.addEventListener("click", function () {
      range = button.dataset.range;
      document.querySelectorAll(".toggle button[data-range]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      visible.forEach(load);  // the others reload when they scroll into view
    });
  });

  let resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (chart, fig) { chart.setSize({ width: widthOf(fig), height: HEIGHT }); });
    }, 150);
  });

  setInterval(function () {
    if (document.visibilityState === "visible") visible.forEach(load);
  }, REFRESH_MS);
})();
