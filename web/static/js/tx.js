// A transaction page while the agent runs it: poll the transaction's JSON (the element's
// data-tx-poll) and reload the page when its state, a device's state or the log moves on
// (data-signature holds them as rendered). Stops polling once the state is final.
(function () {
  "use strict";

  const INTERVAL_MS = 2000;
  const head = document.querySelector("[data-tx-poll]");
  if (!head) return;
  const url = head.dataset.txPoll;
  const rendered = head.dataset.signature;

  function signature(tx) {
    const devices = (tx.devices || []).map(function (d) { return d.state; }).join(",");
    return [tx.state, devices, (tx.log || []).length].join("|");
  }

  function schedule() { setTimeout(poll, INTERVAL_MS); }

  function poll() {
    if (document.hidden) { schedule(); return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (tx) {
        if (tx && typeof tx.state === "string") {
          head.dataset.polled = String(Date.now());
          if (signature(tx) !== rendered) {
            window.location.reload();
            return;
          }
        }
        schedule();
      })
      .catch(schedule);  // offline or logged out: try again later
  }

  schedule();
})();
