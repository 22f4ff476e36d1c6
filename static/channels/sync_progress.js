// The channel page's "sync now" progress: polls the status endpoint every second while
// a sync runs, then shows the result (counts and the last error) and stops.
(function () {
  "use strict";
  var box = document.getElementById("sync-progress");
  if (!box) return;
  var bar = box.querySelector("progress");
  var button = document.querySelector("#channel-sync button[type=submit]");
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function show(status) {
    bar.max = status.total || 1;
    bar.value = status.state === "running" ? status.done : bar.max;
    bar.textContent = status.percent + "%";
    ["live", "pending", "rejected"].forEach(function (name) {
      field(name).textContent = status[name];
    });
    var when = field("last_sync_at");
    if (status.last_sync_at && when.getAttribute("datetime") !== status.last_sync_at) {
      when.setAttribute("datetime", status.last_sync_at);
      when.textContent = new Date(status.last_sync_at).toLocaleString();
    }
    var error = field("last_error");
    error.textContent = status.last_error;
    error.hidden = !status.last_error;
    var summary = field("summary");
    if (status.state === "running") {
      summary.textContent = "Syncing: " + status.done + " of " + status.total +
        " items checked (" + status.percent + "%).";
    } else if (status.state === "failing") {
      summary.textContent = "The last sync failed; it will be retried.";
    } else {
      summary.textContent = "Sync done: " + status.live + " live, " + status.pending +
        " pending, " + status.rejected + " rejected.";
    }
    box.dataset.state = status.state;
    if (button) button.disabled = status.state === "running";
  }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.state === "running") setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (box.dataset.state === "running") poll();
})();
