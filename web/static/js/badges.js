// Header badges that stay current without a reload: every <a data-poll-url> fetches its
// URL (with the session cookie) every 10 s and takes the "badge" member of the answer:
// {count, level, title}. A failed fetch leaves the badge as it was and tries again later.
(function () {
  "use strict";

  const INTERVAL_MS = 10 * 1000;
  const LEVELS = ["ok", "info", "warning", "minor", "major", "critical"];
  const badges = Array.from(document.querySelectorAll("a.badge[data-poll-url]"));
  if (!badges.length) return;

  function update(el, badge) {
    if (!badge || typeof badge.count !== "number" || LEVELS.indexOf(badge.level) < 0) return;
    const count = el.querySelector(".badge-count");
    if (count) count.textContent = String(badge.count);
    LEVELS.forEach(function (level) { el.classList.remove("badge-" + level); });
    el.classList.add("badge-" + badge.level);
    el.dataset.level = badge.level;
    if (typeof badge.title === "string") el.title = badge.title;
    el.dataset.updated = String(Date.now());
  }

  function poll(el) {
    fetch(el.dataset.pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (body) { if (body) update(el, body.badge); })
      .catch(function () { /* offline or logged out: keep the last value */ });
  }

  function tick() {
    if (document.hidden) return;  // a background tab need not poll
    badges.forEach(poll);
  }

  setInterval(tick, INTERVAL_MS);
  document.addEventListener("visibilitychange", tick);
})();
