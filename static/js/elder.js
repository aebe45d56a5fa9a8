/* 长辈模式: larger type, larger targets, fewer elements, chosen once per device.
 * Loaded in <head> so the class is on <html> before the page paints. */
(function () {
  "use strict";
  var KEY = "lifecert.elder";
  var root = document.documentElement;
  function stored() {
    try { return window.localStorage.getItem(KEY) === "on"; } catch (e) { return false; }
  }
  root.classList.toggle("elder", stored());
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("elder-toggle");
    if (!button) return;
    function render() {
      var on = root.classList.contains("elder");
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "长辈模式：开" : "长辈模式";
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var on = !root.classList.contains("elder");
      root.classList.toggle("elder", on);
      try { window.localStorage.setItem(KEY, on ? "on" : "off"); } catch (e) { /* private mode */ }
      render();
    });
    render();
  });
})();
