/* The /widget page: load the widget with the publishable key typed in (kept for this tab only). */
(function () {
  "use strict";
  var STORE = "concierge-widget-key";
  function load(key) {
    if (window.__conciergeWidget || document.querySelector("script[data-concierge-demo]")) return;
    var s = document.createElement("script");
    s.src = "/widget.js";
    s.setAttribute("data-key", key);
    s.setAttribute("data-title", "Ask us");
    s.setAttribute("data-concierge-demo", "");
    document.body.appendChild(s);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("widget-key");
    var key = sessionStorage.getItem(STORE);
    if (key) {
      form.hidden = true;
      load(key);
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var k = form.elements.key.value.trim();
      sessionStorage.setItem(STORE, k);
      form.hidden = true;
      load(k);
    });
  });
})();
