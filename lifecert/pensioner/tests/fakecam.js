/* A responsive fake camera for the browser tests (a Playwright init script).
 *
 * navigator.mediaDevices.getUserMedia gives a canvas.captureStream() painted
 * from a real person's frames (faceverify.actors.Performer), served
 * same-origin under /__fakecam/ by Playwright routing so the canvas is never
 * tainted. It shows the neutral frames back and forth while waiting; when the
 * page prompts an action (#prompt[data-action] if the page sets it, otherwise
 * the act-<action> class camera.js puts on #anim), after the reaction delay it
 * plays that action's real segment at the clip's pace, then neutral again.
 * Still prompted retry_ms after the movement ended, it does it again.
 *
 * With CONFIG.opening, the segment of that name plays when #start is clicked.
 *
 * Each prompt seen ({t, action}) and segment scheduled ({t, play}), t in ms
 * of performance.now(), goes to window.__fakecam.log and, when the test
 * exposed it, to window.__fakecam_report (it outlives the page).
 */
(function () {
  "use strict";
  var CONFIG = __FAKECAM_CONFIG__;
  if (!navigator.mediaDevices) return;
  var state = { log: [], plays: [], action: null, deny: !!CONFIG.deny };
  window.__fakecam = state;
  var original = navigator.mediaDevices.getUserMedia
    ? navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices)
    : null;
  function note(entry) {
    state.log.push(entry);
    if (window.__fakecam_report) window.__fakecam_report(entry);
  }
  var images = null; // {neutral: [Image], actions: {name: [Image]}}
  var canvas = null;

  function load(name, count) {
    var list = [];
    for (var i = 0; i < count; i++) {
      var img = new Image();
      img.src = CONFIG.base + name + "/" + i + ".jpg";
      list.push(img);
    }
    return Promise.all(list.map(function (img) { return img.decode(); })).then(
      function () { return list; }
    );
  }

  function loadAll() {
    if (images) return Promise.resolve(images);
    var names = Object.keys(CONFIG.actions);
    return Promise.all(
      [load("neutral", CONFIG.neutral.count)].concat(
        names.map(function (n) { return load(n, CONFIG.actions[n].count); })
      )
    ).then(function (lists) {
      var actions = {};
      names.forEach(function (n, i) { actions[n] = lists[i + 1]; });
      images = { neutral: lists[0], actions: actions };
      return images;
    });
  }

  function promptedAction() {
    var prompt = document.getElementById("prompt");
    if (prompt && prompt.hasAttribute("data-action")) {
      return prompt.getAttribute("data-action") || null;
    }
    var anim = document.getElementById("anim");
    var m = anim && /(?:^|\s)act-([a-z_]+)/.exec(anim.className);
    return m ? m[1] : null;
  }

  function playEnd(p) {
    return p.start + (1000 * CONFIG.actions[p.action].count) / CONFIG.actions[p.action].fps;
  }

  function schedule(action, start) {
    if (!CONFIG.actions[action]) return; // this person cannot do it
    var p = { action: action, start: start };
    state.plays.push(p);
    note({ t: start, play: action });
  }

  function onChange() {
    var action = promptedAction();
    if (action === state.action) return;
    var now = performance.now();
    state.action = action;
    note({ t: now, action: action });
    if (!action) return;
    var busy = state.plays.length ? playEnd(state.plays[state.plays.length - 1]) : 0;
    schedule(action, Math.max(now + CONFIG.reaction_ms, busy));
  }

  function frameAt(now) {
    for (var i = state.plays.length - 1; i >= 0; i--) {
      var p = state.plays[i];
      if (p.start <= now && now < playEnd(p)) {
        var seg = images.actions[p.action];
        var k = Math.floor(((now - p.start) * CONFIG.actions[p.action].fps) / 1000);
        return seg[Math.min(seg.length - 1, k)];
      }
    }
    var n = images.neutral.length;
    if (n === 1) return images.neutral[0];
    var period = 2 * (n - 1);
    var j = Math.floor((now * CONFIG.neutral.fps) / 1000) % period;
    return images.neutral[j < n ? j : period - j];
  }

  function paint() {
    var now = performance.now();
    var last = state.plays[state.plays.length - 1];
    if (
      state.action && last && last.action === state.action &&
      CONFIG.retry_ms !== null && now - playEnd(last) >= CONFIG.retry_ms
    ) {
      schedule(state.action, now); // still asked: the person does it again
    }
    canvas.getContext("2d").drawImage(frameAt(now), 0, 0, canvas.width, canvas.height);
  }

  function watch() {
    new MutationObserver(onChange).observe(document, {
      subtree: true,
      attributes: true,
      attributeFilter: ["class", "data-action"],
    });
  }

  // The opening segment (CONFIG.opening, e.g. the head held up, then relaxed)
  // plays when 开始认证 is pressed: the session begins in that pose.
  if (CONFIG.opening) {
    document.addEventListener("click", function (e) {
      var target = e.target && e.target.closest ? e.target.closest("#start") : null;
      if (target) schedule(CONFIG.opening, performance.now());
    }, true);
  }

  navigator.mediaDevices.getUserMedia = function (constraints) {
    if (!constraints || !constraints.video) {
      return original ? original(constraints) : Promise.reject(new TypeError("no media"));
    }
    if (state.deny) {
      return Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
    }
    return loadAll().then(function (imgs) {
      if (!canvas) {
        canvas = document.createElement("canvas");
        canvas.width = imgs.neutral[0].naturalWidth;
        canvas.height = imgs.neutral[0].naturalHeight;
        paint();
        setInterval(paint, 1000 / 30);
        watch();
      }
      return canvas.captureStream(30);
    });
  };
})();
