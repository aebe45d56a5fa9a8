/* 长辈模式: larger type, larger targets, fewer elements, chosen once per device.
 * Loaded in <head> so the classes are on <html> before the page paints: "elder"
 * when chosen, and "js", which shows the 长辈模式 button (it does nothing
 * without scripts). Showing it later, once the page was read, moved the page
 * under a finger about to tap 进入资格认证 on a phone. */
(function () {
  "use strict";
  var KEY = "lifecert.elder";
  var root = document.documentElement;
  function stored() {
    try { return window.localStorage.getItem(KEY) === "on"; } catch (e) { return false; }
  }
  root.classList.add("js");
  root.classList.toggle("elder", stored());
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("elder-toggle");
    if (!button) return;
    // The look ("：开", the colours) follows html.elder in the style sheet,
    // right from the first paint; the pressed state is for screen readers.
    function render() {
      button.setAttribute("aria-pressed", root.classList.contains("elder") ? "true" : "false");
    }
    button.addEventListener("click", function () {
      var on = !root.classList.contains("elder");
      root.classList.toggle("elder", on);
      try { window.localStorage.setItem(KEY, on ? "on" : "off"); } catch (e) { /* private mode */ }
      render();
    });
    render();
  });
})();
