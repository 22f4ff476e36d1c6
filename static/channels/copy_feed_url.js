// The channel page's feed URLs: a "Copy" button beside each (shown only when this
// script runs; without it the read-only field is selected on focus to copy by hand).
// The clipboard API needs a secure context; elsewhere the field's text is selected and
// copied with execCommand, and if that fails too the merchant is told to press Ctrl+C.
(function () {
  "use strict";
  function say(button, text) {
    var status = button.parentNode.querySelector(".feed-url-status");
    if (status) status.textContent = text;
  }
  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }
  document.querySelectorAll("#channel-feed input[readonly]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
  document.querySelectorAll("#channel-feed button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { say(button, "Copied."); };
      var fallback = function () {
        if (copyBySelection(field)) done();
        else say(button, "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
})();
