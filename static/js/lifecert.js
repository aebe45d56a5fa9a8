// Small behaviours of every page, kept out of the HTML so the Content Security
// Policy can forbid inline scripts (settings.CONTENT_SECURITY_POLICY).
(function () {
  "use strict";
  // 用户切换 / 多绑切换: choosing in the menu submits its form.
  document.querySelectorAll("select.autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // 打印 on printable slips.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // 返回: the previous page when there is one, else the link's own target.
  document.querySelectorAll("a[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
  // 本地养老本地领取: tick the whole page, and keep "已选 N 人" up to date.
  var all = document.getElementById("select-page");
  var rows = document.querySelectorAll(".row-select");
  var line = document.getElementById("selected-line");
  var count = document.getElementById("selected-count");
  function recount() {
    var ticked = 0;
    rows.forEach(function (box) { if (box.checked) ticked += 1; });
    if (line && count) count.textContent = Number(line.dataset.elsewhere) + ticked;
  }
  if (all) all.addEventListener("change", function () {
    rows.forEach(function (box) { box.checked = all.checked; });
    recount();
  });
  rows.forEach(function (box) { box.addEventListener("change", recount); });
})();
