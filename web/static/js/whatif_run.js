/* 先锋: a what-if run's page polls the JSON named by `#progress[data-poll]` every second, shows the
   cases done / in all (worded by the server), and reloads the page when the run has ended. */
(function () {
  "use strict";
  var panel = document.getElementById("progress");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-poll");
  var failures = 0;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (run) {
        failures = 0;
        var bar = document.getElementById("run-progress");
        if (bar) { bar.max = Math.max(run.total, 1); bar.value = Math.min(run.done, bar.max); }
        var count = document.getElementById("run-count");
        if (count) { count.textContent = run.progress_text; }
        if (run.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(poll, Math.min(1000 * Math.pow(2, failures), 30000));
      });
  }
  window.setTimeout(poll, 1000);
}());
