/* 先锋: the verify pages.
   The form: typing case numbers chooses "chosen cases" (an input marked data-chooses="<radio id>").
   A run's page: polls the JSON named by `#progress[data-poll]` every second and shows events done /
   total, the percentage, events per second and what the job is doing; the texts come worded from
   the server (this file holds no words). When the run has ended, the page is loaded again to show
   the verdict and the report. */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("input[data-chooses]"), function (input) {
    input.addEventListener("input", function () {
      var radio = document.getElementById(input.getAttribute("data-chooses"));
      if (radio && input.value.trim()) { radio.checked = true; }
    });
  });

  var panel = document.getElementById("progress");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-poll");
  var EVERY = 1000;
  var failures = 0;

  function text(id, value) {
    var node = document.getElementById(id);
    if (node && value !== undefined && value !== null) { node.textContent = value; }
  }

  function show(run) {
    var bar = document.getElementById("run-progress");
    if (bar) {
      bar.max = Math.max(run.events_total, 1);
      bar.value = Math.min(run.events_done, bar.max);
      bar.textContent = run.percent + "%";
    }
    text("run-count", run.progress_text);
    text("run-percent", run.percent + "%");
    text("run-rate", run.rate_text);
    text("run-phase", run.phase_text);
    text("run-status", run.status_text);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (run) {
        failures = 0;
        show(run);
        if (run.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, EVERY);
        }
      })
      .catch(function () {
        failures += 1;  /* a restart or a lost connection: back off, keep trying */
        window.setTimeout(poll, Math.min(EVERY * Math.pow(2, failures), 30000));
      });
  }

  window.setTimeout(poll, EVERY);
}());
