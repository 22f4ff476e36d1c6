// The channel page's "sync now" progress: polls the status endpoint every second while
// a sync runs, then shows the result (counts and the last error) and stops. A stalled
// sync (its worker stopped) is not "running": the button is enabled to start it again.
(function () {
  "use strict";
  var box = document.getElementById("sync-progress");
  if (!box) return;
  var bar = box.querySelector("progress");
  var button = document.querySelector("#channel-sync button[type=submit]");
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function show(status) {
    bar.max = status.total || 1;
    bar.value = status.state === "running" || status.state === "stalled" ? status.done : bar.max;
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
    field("summary").textContent = status.summary;  // worded by the server, as on the page
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
