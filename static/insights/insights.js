/* Insights for shoppers: what this page view saw, sent in batches with
 * navigator.sendBeacon to the shop's /insights/events/ (docs/insights.md).
 *
 * The page view goes at once; later events (impressions, bag adds) are batched for a
 * second, and sent before a link is followed and when the page is hidden.
 *
 * No cookie, no storage, nothing that names the shopper: the server counts unique
 * visitors with a hash that changes every day. The page's kind and ids come from the
 * script's data attributes; other scripts add events through
 * window.etalageInsights.record({kind: ..., post: ..., product: ...}) (posts.js does).
 */
(function () {
  "use strict";
  if (window.etalageInsights) return; // loaded once per page
  var script = document.currentScript;
  var data = script ? script.dataset : {};
  var ENDPOINT = data.endpoint || "/insights/events/";
  var MAX_BATCH = 50;
  var queue = [];
  var counted = {};
  var timer = null;

  // inside the embed's iframe the loader names the frame "etalage:<host page origin>"
  var name = window.name || "";
  var embed = window.parent !== window && name.indexOf("etalage:") === 0 ? name.slice(8) : "";

  function id(value) {
    var number = Number(value);
    return number > 0 && Math.floor(number) === number ? number : undefined;
  }

  function flush() {
    clearTimeout(timer);
    while (queue.length) {
      var batch = queue.splice(0, MAX_BATCH);
      var body = { events: batch, url: location.href.slice(0, 2000) };
      if (document.referrer) body.referrer = document.referrer.slice(0, 2000);
      if (embed) body.embed = embed.slice(0, 2000);
      var text = JSON.stringify(body);
      if (navigator.sendBeacon && navigator.sendBeacon(ENDPOINT, text)) continue;
      fetch(ENDPOINT, { method: "POST", body: text, keepalive: true, credentials: "omit" }).catch(function () {});
    }
  }

  // record({kind, page, post, poll, product}); once per page view for the same event
  function record(event, now) {
    var clean = { kind: event.kind };
    ["page"].forEach(function (field) { if (event[field]) clean[field] = event[field]; });
    ["post", "poll", "product"].forEach(function (field) {
      var value = id(event[field]);
      if (value) clean[field] = value;
    });
    var key = JSON.stringify(clean);
    if (counted[key]) return;
    counted[key] = true;
    queue.push(clean);
    if (now || queue.length >= MAX_BATCH) {
      flush();
    } else {
      clearTimeout(timer);
      timer = setTimeout(flush, 1000);
    }
  }

  window.etalageInsights = { record: record, flush: flush };

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);

  var page = data.page || "other";
  if (embed && page === "shop") page = "embed";
  record({ kind: "page_view", page: page, product: data.product, post: data.post, poll: data.poll });
  if (page === "product" && id(data.product)) record({ kind: "product_view", product: data.product });
  if (data.checkout) record({ kind: "checkout_started" });
  flush(); // the page view goes at once; what follows is batched


  // bag adds and started checkouts, wherever their buttons are (bag.js, buy_now.js)
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("a[href]")) {
      flush(); // a link leaves the page: send what is queued before it goes
      return;
    }
    var target = event.target.closest ? event.target.closest("button") : null;
    if (!target || target.disabled) return;
    if (target.hasAttribute("data-add-to-bag")) {
      record({ kind: "bag_add", product: target.dataset.product || data.product }, true);
    } else if (target.classList.contains("buy-now") || target.hasAttribute("data-bag-checkout")) {
      record({ kind: "checkout_started", product: target.dataset.product || data.product }, true);
    }
  }, true);
})();
