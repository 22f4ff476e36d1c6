/* Etalage embedded shop loader: paste
     <script src="https://<your shop>/embed.js" async></script>
   where the shop should appear. Optional attributes: data-section="<id>",
   data-product="<slug>", data-title="…". */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var shopOrigin = new URL(script.src).origin;
  var params = new URLSearchParams();
  if (script.dataset.section) params.set("section", script.dataset.section);
  if (script.dataset.product) params.set("product", script.dataset.product);
  var query = params.toString();

  var frame = document.createElement("iframe");
  frame.src = shopOrigin + "/embed/" + (query ? "?" + query : "");
  frame.name = "etalage:" + window.location.origin;
  frame.title = script.dataset.title || "Shop";
  frame.loading = "lazy";
  frame.setAttribute("data-etalage-embed", "");
  frame.style.cssText = "display:block;width:100%;border:0;height:600px;";
  script.parentNode.insertBefore(frame, script.nextSibling);

  window.addEventListener("message", function (event) {
    // Only the shop, and only from this iframe, may resize it.
    if (event.origin !== shopOrigin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (data && data.type === "etalage:resize" && typeof data.height === "number" && data.height > 0) {
      frame.style.height = Math.min(Math.ceil(data.height), 100000) + "px";
    }
  });
  frame.addEventListener("load", function () {
    frame.contentWindow.postMessage({ type: "etalage:hello" }, shopOrigin);
  });
})();
