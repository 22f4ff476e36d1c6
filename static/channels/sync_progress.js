// The channel page's sync box (its one place for the sync's state): polls the status
// endpoint every second while a sync runs, updating the progress, the status, counts,
// last sync and reconcile, the last error and the rejected items, and stops when done.
// A stalled sync (its worker stopped) is not "running": the button is enabled again.
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
    ["status", "live", "pending", "rejected"].forEach(function (name) {
      field(name).textContent = status[name];
    });
    ["last_sync_at", "last_reconcile_at"].forEach(function (name) {
      var when = field(name);
      if (status[name] && when.getAttribute("datetime") !== status[name]) {
        when.setAttribute("datetime", status[name]);
        when.textContent = new Date(status[name]).toLocaleString();
      }
    });
    var list = field("rejected_items");
    list.replaceChildren.apply(list, status.rejected_items.map(function (item) {
      var entry = document.createElement("li");
      var fix = document.createElement("a");
      fix.href = item.fix_url;
      fix.textContent = "fix the product";
      entry.append(item.id + ": " + (item.message || "refused") + " — ", fix);
      return entry;
    }));
    field("rejected_box").hidden = !status.rejected_items.length;
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
