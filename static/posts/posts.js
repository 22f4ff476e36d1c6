/* Shoppable posts for shoppers: open a post in a dialog, count impressions and tag
 * clicks, and carry the click to the product page for purchase attribution.
 *
 * No cookie and no storage: a random token identifies this page view only. Counts are
 * sent with navigator.sendBeacon (the page never waits for them), through the shop's
 * insights beacon (static/insights/insights.js) when the page has it; a tag link gets the
 * token as ?view=…, which buy-now passes on with the post id.
 */
(function () {
  "use strict";
  if (window.etalagePosts) return; // loaded once per page, however many galleries
  window.etalagePosts = true;

  var ENDPOINT = "/api/v1/post-events/";

  function newToken() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  var token = newToken();
  var queue = [];
  var counted = {};
  var timer = null;

  function flush() {
    clearTimeout(timer);
    if (!queue.length) return;
    // the shop's insights beacon (insights.js) carries them when it is on the page: one
    // request for the page's events, and the server counts the posts' days from it too
    var insights = window.etalageInsights;
    if (insights) {
      queue.splice(0).forEach(function (event) {
        var click = event.kind === "click";
        insights.record({ kind: click ? "tag_click" : "post_impression", post: event.post }, click);
      });
      return;
    }
    var body = JSON.stringify({ view: token, events: queue });
    queue = [];
    if (navigator.sendBeacon && navigator.sendBeacon(ENDPOINT, body)) return;
    fetch(ENDPOINT, { method: "POST", body: body, keepalive: true, credentials: "omit" }).catch(function () {});
  }

  function record(postId, kind) {
    var key = kind + ":" + postId;
    if (counted[key]) return; // once per page view
    counted[key] = true;
    queue.push({ post: Number(postId), kind: kind });
    if (kind === "click") {
      flush();
    } else {
      clearTimeout(timer);
      timer = setTimeout(flush, 1000);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });

  var shown = document.querySelectorAll("[data-post-impression]");
  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        record(entry.target.dataset.postImpression, "impression");
        observer.unobserve(entry.target);
      });
    }, { threshold: 0.5 });
    shown.forEach(function (element) { observer.observe(element); });
  } else {
    shown.forEach(function (element) { record(element.dataset.postImpression, "impression"); });
  }

  document.querySelectorAll("[data-post-tag]").forEach(function (link) {
    var url = new URL(link.getAttribute("href"), window.location.href);
    url.searchParams.set("view", token);
    link.setAttribute("href", url.pathname + url.search);
    link.addEventListener("click", function () { record(link.dataset.postTag, "click"); });
  });

  document.querySelectorAll("[data-post-open]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var dialog = document.getElementById(link.dataset.postOpen);
      if (!dialog || typeof dialog.showModal !== "function") return; // the post page instead
      event.preventDefault();
      dialog.showModal();
    });
  });
})();
