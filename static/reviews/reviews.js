// Reviews and polls without cookies: the shop's signed shopper token lives in
// localStorage and goes with every vote (X-Shopper-Token header) and review form.
// Helpful votes go to the API (POST /api/v1/reviews/<id>/vote/, JSON in and out); without
// JavaScript the form posts itself and the page comes back.
(function () {
  "use strict";
  var KEY = "etalage-shopper-token";
  function getToken() {
    try { return window.localStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }
  function keepToken(token) {
    try { if (token) window.localStorage.setItem(KEY, token); } catch (e) { /* storage blocked */ }
  }
  function canKeep() {
    try { window.localStorage.setItem(KEY + "-probe", "1"); window.localStorage.removeItem(KEY + "-probe"); return true; }
    catch (e) { return false; }
  }
  // Each shopper votes as themselves, not as their network address (a household, an
  // office, a carrier's NAT share one): before a first vote, ask the shop for a token.
  // Where storage is blocked the token could not be kept, so the address stands in.
  function ensureToken() {
    var token = getToken();
    if (token || !canKeep()) return Promise.resolve(token);
    return fetch("/api/v1/shopper-token/", { method: "POST", headers: { "Accept": "application/json" }, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) { keepToken(data.token); return getToken(); })
      .catch(function () { return ""; });
  }
  document.querySelectorAll("[data-shopper-token]").forEach(function (input) {
    input.value = getToken();
  });
  document.querySelectorAll("form[data-review-vote]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter;
      var body = JSON.stringify(button ? { helpful: button.value === "1" } : {});
      var status = form.querySelector("[data-vote-status]");
      ensureToken()
        .then(function (token) {
          var headers = { "Accept": "application/json", "Content-Type": "application/json" };
          if (token) headers["X-Shopper-Token"] = token;
          var review = form.closest("[data-review]").dataset.review;
          var url = "/api/v1/reviews/" + encodeURIComponent(review) + "/vote/";
          return fetch(url, { method: "POST", body: body, headers: headers, credentials: "omit" });
        })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          // errors are the API's {"error": {"code", "message", "field"}}
          var error = result.data.error;
          if (!result.ok) { status.textContent = (error && error.message) || "Your vote was not counted."; return; }
          keepToken(result.data.token);
          form.querySelector('[data-count="helpful"]').textContent = result.data.helpful;
          form.querySelector('[data-count="not_helpful"]').textContent = result.data.not_helpful;
          status.textContent = "Thanks for your vote.";
        })
        .catch(function () { status.textContent = "Your vote could not be sent; try again."; });
    });
  });
  document.querySelectorAll("form[data-poll]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("[data-shopper-token]");
      if (!input) return;
      input.value = getToken();
      if (input.value || form.dataset.tokenAsked) return;
      event.preventDefault();  // the choice is valid already: get a token, then send it
      form.dataset.tokenAsked = "1";
      ensureToken().then(function (token) { input.value = token; form.submit(); });
    });
  });
})();
