// Inside the embedded shop page's iframe: tell the host page our height, and answer its
// "hello". Messages go only to the host page's origin, and only when that origin is one
// of the shop's allowed origins; messages are accepted only from that origin.
(function () {
  "use strict";
  if (window.parent === window) return;
  var script = document.currentScript;
  var allowed = (script.getAttribute("data-allowed-origins") || "").split(" ").filter(Boolean);
  // The loader names the frame "etalage:<host page origin>"; the name survives the
  // frame's own navigations (product pages, pagination) and needs no cookie or storage.
  var name = window.name || "";
  var parentOrigin = name.indexOf("etalage:") === 0 ? name.slice(8) : "";
  if (allowed.indexOf(parentOrigin) === -1) return;

  var lastHeight = 0;
  function sendHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ type: "etalage:resize", height: height }, parentOrigin);
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    if (event.data && event.data.type === "etalage:hello") {
      lastHeight = 0;
      sendHeight();
    }
  });
  if (window.ResizeObserver) new ResizeObserver(sendHeight).observe(document.documentElement);
  window.addEventListener("load", sendHeight);
  sendHeight();
})();
