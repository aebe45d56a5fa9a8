/* LifeCert camera session: preview, face guide, voice and animated prompts.
 * The browser only captures small JPEG frames and shows what the server decided;
 * it never judges the face or the actions itself. */
(function () {
  "use strict";
  var app = document.getElementById("camera-app");
  if (!app) return;
  var FRAME_INTERVAL_MS = 125; // the server may ask for another pace
  // Requests leave at most this often; each carries the frames captured
  // meanwhile (fewer requests for the server, the same frames for the engine).
  var SEND_INTERVAL_MS = 500;
  var MAX_BATCH = 8; // frames in one request at most (the server says)
  var MAX_SPAN_S = 1.2; // capture times one request may span (the server says)
  // Picture sizes, best first. A line too slow to carry every frame (frames
  // are being dropped) steps down: smaller frames at the full pace keep the
  // actions, fewer sharp ones lose them. After STEP_UP_MS without a drop it
  // tries the size above again, but only if the line has shown it carries
  // that size at the fastest pace the server asks for, with room to spare: a
  // quiet stretch at the slow pace of a held prompt proves nothing, and a
  // size that overflows the line just when an action is asked loses it.
  var LEVELS = [
    { width: 480, quality: 0.8 },
    { width: 400, quality: 0.65 },
    { width: 320, quality: 0.5 },
  ];
  // A size the line is seen not to carry at the fastest pace steps down before
  // an action is asked, not once frames are lost in it: a held prompt's slow
  // pace fits a thin line that the action's pace then overflows, and the
  // movement would reach the server too late to count as a reaction.
  var STEP_UP_MS = 10000;
  var STEP_UP_GROWTH = 1.6; // a frame one size up is about this much bigger
  var STEP_UP_HEADROOM = 2; // the line must carry twice what that size needs
  var STEP_DOWN_MARGIN = 1.25; // ... and this much more than the size in use
  var MIN_UPLOAD_MS = 20; // a line's upload is never taken as faster than this
  var csrf = app.querySelector("input[name=csrfmiddlewaretoken]").value;
  var $ = function (id) { return document.getElementById(id); };
  var video = $("preview");
  var canvas = document.createElement("canvas");
  var stream = null;
  var session = null;
  var t0 = 0;
  var running = false;
  var queue = []; // captured frames not sent yet: {blob, ts}
  var onFrame = null; // wakes the sender when a frame is queued
  var rounds = 0; // attempts started on this page ("重新开始")
  var level = 0; // index in LEVELS: kept between attempts on this page
  var dropped = 0; // frames dropped since the last request: the line is too slow
  var calmSince = 0; // when the size last changed or a frame was dropped
  var fastestMs = FRAME_INTERVAL_MS; // the fastest pace the server has asked for
  var frameBytes = 0; // recent frames' size at the current level (average)
  var lineRate = 0; // bytes a second the line's upload carries (estimated)
  var baseMs = 0; // a request's round trip without upload or server work
  var lastPrompt = "";

  // ---- Voice: one queue, every line heard whole.
  // A line is handed to speechSynthesis only when the one before it has ended,
  // and nothing is ever cancelled mid-sentence: a new prompt only drops the
  // coaching still waiting in the queue (it no longer applies). The same
  // coaching line is not repeated within COACH_REPEAT_MS.
  var COACH_REPEAT_MS = 8000;
  var store = {
    get: function (k) { try { return window.localStorage.getItem(k); } catch (e) { return null; } },
    set: function (k, v) { try { window.localStorage.setItem(k, v); } catch (e) { /* private mode */ } },
  };
  var voiceOn = store.get("lifecert.voice") !== "off";
  var dialect = store.get("lifecert.dialect") === "yue" ? "yue" : "cmn";
  // Cantonese wording where it differs from the Mandarin prompt; a line not
  // listed is read as written by the zh-HK voice (characters read in Cantonese).
  var YUE_ACTIONS = {
    blink: "請眨眨眼",
    open_mouth: "請擘大口",
    turn_left: "請擰頭向左",
    turn_right: "請擰頭向右",
    nod: "請點吓頭",
  };
  var YUE_LINES = {
    "请正对摄像头，保持不动": "請望住鏡頭，唔好郁",
    "请保持不动，听到提示后再做动作": "請唔好郁，聽到提示先做動作",
    "请正对摄像头": "請望住鏡頭",
    "请靠近一些": "請行近啲",
    "光线太暗，请到明亮的地方": "光線太暗，請去光啲嘅地方",
    "未检测到人脸，请正对摄像头": "見唔到你塊面，請望住鏡頭",
    "检测到多张人脸，请确保只有本人在镜头前": "鏡頭前面有幾個人，請淨係留返本人",
    "恭喜您，认证成功": "恭喜你，認證成功",
    "认证失败，您的相貌能对上，但您没有跟着引导做动作": "認證唔成功，你個樣對得上，但係你冇跟住提示做動作",
    "认证失败，您的认证照片与建模照片不匹配，请您通过其他方式进行认证": "認證唔成功，你嘅認證相同建模相對唔上，請你用其他方式認證",
    "认证失败，您没有跟着引导做完动作，请正对摄像头，听到提示后再做动作，然后重新认证":
      "認證唔成功，你冇跟住提示做晒啲動作，請望住鏡頭，聽到提示先做動作，然後再認證過",
    "光线太暗/画面模糊/离得太远，未能看清您的相貌，请到光线充足处正对摄像头后重新认证":
      "光線太暗、畫面唔清楚或者離得太遠，睇唔清你個樣，請去光啲嘅地方望住鏡頭再認證過",
    "认证失败，未检测到人脸，请正对摄像头、保持一臂左右的距离后重新认证":
      "認證唔成功，見唔到你塊面，請望住鏡頭、隔大約一隻手咁遠，再認證過",
    "认证失败，画面中有多张人脸，请确保镜头前只有参保人本人":
      "認證唔成功，畫面入面有幾個人，請淨係留返參保人本人喺鏡頭前面",
    "认证失败，认证过程中出现了另一张人脸，请由参保人本人完成全部动作":
      "認證唔成功，認證途中出現咗另一個人，請由參保人本人做晒全部動作",
    "认证超时，请重新进入资格认证并跟着语音提示做动作": "認證超時，請重新入去資格認證，跟住語音提示做動作",
  };
  var speech = { queue: [], current: null, heard: {}, timer: null, idle: [] };

  function spoken(text, action) {
    if (dialect !== "yue") return text;
    if (action && YUE_ACTIONS[action]) return YUE_ACTIONS[action];
    return YUE_LINES[text] || text;
  }

  function pickVoice(lang) {
    try {
      var voices = window.speechSynthesis.getVoices() || [];
      var want = lang.toLowerCase();
      var found = voices.filter(function (v) {
        var l = (v.lang || "").toLowerCase().replace("_", "-");
        return l === want || (want === "zh-hk" && (l === "yue-hk" || l.indexOf("yue") === 0));
      });
      return found[0] || null;
    } catch (e) { return null; }
  }

  function lineDone() {
    if (speech.timer) { clearTimeout(speech.timer); speech.timer = null; }
    speech.current = null;
    pump();
  }

  function pump() {
    if (speech.current) return;
    var item = speech.queue.shift();
    if (!item) {
      var waiting = speech.idle;
      speech.idle = [];
      waiting.forEach(function (resolve) { resolve(); });
      return;
    }
    var lang = dialect === "yue" ? "zh-HK" : "zh-CN";
    var u;
    try {
      u = new SpeechSynthesisUtterance(item.text);
      u.lang = lang;
      u.rate = 0.85; // unhurried, for old ears
    } catch (e) { speech.queue = []; return; }
    try {
      var v = pickVoice(lang);
      if (v) u.voice = v; // the zh-HK voice for 粤语 where the browser has one
    } catch (e) { /* the lang alone chooses */ }
    speech.current = u;
    u.onend = u.onerror = function () { if (speech.current === u) lineDone(); };
    // A browser that never reports the end (no voice installed) must not hold
    // the queue: move on after a generous estimate of the line's length.
    speech.timer = setTimeout(function () { if (speech.current === u) lineDone(); },
      2500 + item.text.length * 450);
    try { window.speechSynthesis.speak(u); } catch (e) { lineDone(); }
  }

  function say(text, kind, action) {
    if (!text || !voiceOn || !("speechSynthesis" in window)) return;
    var line = spoken(text, action);
    if (kind === "coaching") {
      var last = speech.heard[line];
      if (last && performance.now() - last < COACH_REPEAT_MS) return;
      if (speech.queue.some(function (q) { return q.text === line; })) return;
    } else {
      // A newer prompt makes the coaching still waiting stale.
      speech.queue = speech.queue.filter(function (q) { return q.kind !== "coaching"; });
    }
    speech.heard[line] = performance.now();
    speech.queue.push({ text: line, kind: kind });
    pump();
  }

  // Resolves once everything queued has been said (or at most ``ms`` later).
  function spokenAll(ms) {
    if (!speech.current && !speech.queue.length) return Promise.resolve();
    return Promise.race([
      new Promise(function (resolve) { speech.idle.push(resolve); }),
      wait(ms),
    ]);
  }

  function speak(text, action) { say(text, "prompt", action); }

  function setupVoiceControls() {
    var toggle = $("voice-toggle");
    var choices = document.querySelectorAll("input[name=dialect]");
    function render() {
      toggle.setAttribute("aria-pressed", voiceOn ? "true" : "false");
      toggle.textContent = voiceOn ? "语音：开" : "语音：关";
      choices.forEach(function (c) { c.checked = c.value === dialect; });
    }
    toggle.addEventListener("click", function () {
      voiceOn = !voiceOn;
      store.set("lifecert.voice", voiceOn ? "on" : "off");
      if (!voiceOn) {
        // Switched off on purpose: silence now, the one cancel we allow.
        speech.queue = [];
        try { window.speechSynthesis.cancel(); } catch (e) { /* no voice */ }
        lineDone();
      }
      render();
    });
    choices.forEach(function (c) {
      c.addEventListener("change", function () {
        if (!c.checked) return;
        dialect = c.value === "yue" ? "yue" : "cmn";
        store.set("lifecert.dialect", dialect);
        render();
      });
    });
    render();
  }

  var paceWake = null; // ends the capture loop's wait early
  function pace(ms) {
    var faster = ms < FRAME_INTERVAL_MS;
    FRAME_INTERVAL_MS = ms;
    if (ms < fastestMs) fastestMs = ms;
    // A prompt revealed while the camera waits out a held prompt's slow pace:
    // the next frame is taken now, not up to half a second later.
    if (faster && paceWake) paceWake();
  }

  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function setCheck(text) { $("check-status").textContent = text; }

  // The guidance block says what went wrong (its first line, ``reason`` when
  // given) and what to do; the status line steps aside, so it is said once.
  function showGuidance(id, reason) {
    ["camera-denied", "camera-missing"].forEach(function (g) { $(g).hidden = g !== id; });
    if (reason) $(id).querySelector(".verdict").textContent = reason;
    $("check-status").hidden = true;
    $("recheck").hidden = false;
    $("check").classList.add("failed");
  }

  async function check() {
    $("check").classList.remove("failed");
    ["camera-denied", "camera-missing"].forEach(function (g) { $(g).hidden = true; });
    $("check-status").hidden = false;
    setCheck("正在检测您的浏览器是否可以使用摄像头……");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showGuidance("camera-missing", "您的浏览器不能使用摄像头。");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (err) {
      var name = err && err.name;
      if (name === "NotFoundError" || name === "OverconstrainedError" || name === "TypeError") {
        showGuidance("camera-missing", "没有检测到可用的摄像头。");
      } else {
        showGuidance("camera-denied");
      }
      return;
    }
    video.srcObject = stream;
    try { await video.play(); } catch (e) { /* autoplay is muted: fine */ }
    setCheck("摄像头正常。请把脸放进框内，点击“开始认证”，然后跟着语音提示做动作。");
    $("check").classList.add("ok");
    $("recheck").hidden = true;
    $("live").hidden = false;
    $("start").disabled = false;
  }

  function grab() {
    var size = LEVELS[level];
    var w = video.videoWidth || 640;
    var h = video.videoHeight || 480;
    var scale = Math.min(1, size.width / w);
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) {
      canvas.toBlob(resolve, "image/jpeg", size.quality);
    });
  }

  function adapt() {
    var now = performance.now();
    var overflows = frameBytes > 0 && lineRate > 0 &&
      lineRate < STEP_DOWN_MARGIN * (1000 / fastestMs) * frameBytes;
    if (dropped > 0 || overflows) {
      dropped = 0;
      calmSince = now;
      if (level < LEVELS.length - 1) { level += 1; frameBytes = 0; }
    } else if (level > 0 && now - calmSince > STEP_UP_MS) {
      var need = (1000 / fastestMs) * frameBytes * STEP_UP_GROWTH;
      if (frameBytes > 0 && lineRate > STEP_UP_HEADROOM * need) {
        level -= 1;
        frameBytes = 0;
      }
      calmSince = now;
    }
  }

  // How long the server says it worked on a request (its Server-Timing).
  function serverMs(resp) {
    var m = /dur=([0-9.]+)/.exec((resp && resp.headers.get("Server-Timing")) || "");
    return m ? parseFloat(m[1]) : 0;
  }

  // The round trip of a request that carried no frames (the start), lowered
  // by any frame request that came back sooner.
  function roundTrip(ms) {
    baseMs = baseMs ? Math.min(baseMs, ms) : ms;
  }

  // What a request carried and how long it took: the frames' average size at
  // this level and the line's upload rate (the request's time less the
  // server's work and the round trip).
  function measure(batch, ms, server) {
    var bytes = batch.reduce(function (n, f) { return n + f.blob.size; }, 0);
    var avg = bytes / batch.length;
    frameBytes = frameBytes ? 0.7 * frameBytes + 0.3 * avg : avg;
    var onLine = Math.max(ms - server, 1);
    var rate = (bytes * 1000) / Math.max(onLine - baseMs, MIN_UPLOAD_MS);
    lineRate = lineRate ? 0.5 * lineRate + 0.5 * rate : rate;
    roundTrip(onLine);
  }

  function post(url, body, headers) {
    var h = { "X-CSRFToken": csrf };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(url, { method: "POST", headers: h, body: body, credentials: "same-origin" });
  }

  // The server reveals one action at a time: the list shows what is done,
  // the action asked for now, and how many are still to come.
  var labels = {}; // index -> prompt text, learnt as the server asks
  function renderSteps(done, current, prompt) {
    var list = $("steps");
    list.innerHTML = "";
    if (prompt && current < session.steps) labels[current] = prompt;
    for (var i = 0; i < session.steps; i++) {
      var li = document.createElement("li");
      var label = labels[i] ? labels[i].replace(/^请/, "") : "第 " + (i + 1) + " 个动作";
      li.textContent = label;
      if (i < done) li.className = "done";
      else if (i === current && labels[i]) li.className = "current";
      list.appendChild(li);
    }
  }

  function showVerdict(message, ok) {
    var v = $("verdict");
    v.textContent = message;
    v.className = "verdict " + (ok ? "verdict-ok" : "verdict-fail");
    v.hidden = false;
    if (message !== lastPrompt) speak(message);
    lastPrompt = message;
  }

  function update(p) {
    $("guide").classList.toggle("ok", !!p.face_ok);
    var coaching = p.coaching;
    if (Array.isArray(coaching)) coaching = coaching.join("，");
    $("coaching").textContent = coaching || "";
    if (coaching && coaching !== p.prompt && !p.finished) say(coaching, "coaching");
    var done = Array.isArray(p.done_actions) ? p.done_actions.length : (p.done_actions || 0);
    var current = typeof p.action_index === "number" ? p.action_index : done;
    renderSteps(done, current, p.current_action ? p.prompt : null);
    var anim = $("anim");
    anim.className = "anim" + (p.current_action ? " act-" + p.current_action : "");
    $("prompt").dataset.action = p.current_action || "";
    if (p.frame_interval_ms) pace(p.frame_interval_ms);
    if (p.prompt) {
      $("prompt").textContent = p.prompt;
      // Each prompt is said once, when it changes; the verdict is said by conclude.
      if (p.prompt !== lastPrompt && !p.finished) {
        speak(p.prompt, p.current_action);
        lastPrompt = p.prompt;
      }
    }
  }

  function conclude(p) {
    running = false;
    var verdict = p.verdict || {};
    showVerdict(verdict.message || "", verdict.code === "passed");
    if (verdict.code !== "passed" && typeof p.tries_left === "number") {
      var left = $("tries-left");
      left.textContent = (p.counted ? "这次计入当天的失败次数，" : "这次不计入失败次数，") +
        (p.tries_left > 0
          ? "今天还可以再试 " + p.tries_left + " 次。"
          : "今天不能再使用摄像头认证，请通过其他方式进行认证。");
      left.hidden = false;
    }
    $("anim").className = "anim";
    $("guide").classList.remove("ok");
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    // The result page comes once the verdict has been heard to its end.
    if (p.result_url) {
      var url = p.result_url;
      Promise.all([wait(1500), spokenAll(15000)]).then(function () {
        window.location.assign(url);
      });
    }
  }

  async function finish() {
    var resp = await post(session.finish_url, "", {});
    var data = await resp.json().catch(function () { return {}; });
    if (resp.ok && data.finished) conclude(data);
    else fail(data.message || "认证已结束，请重新进入资格认证。", data.error);
  }

  function fail(message, error) {
    running = false;
    showVerdict(message, false);
    if (error === "login_required") {
      // The login ran out: back to 资格认证登记, then here again.
      $("relogin").hidden = false;
      $("relogin").focus();
      return;
    }
    $("start").hidden = false;
    $("start").disabled = false;
    $("start").textContent = "重新开始";
    $("start").focus();
  }

  // Capture and sending run apart: frames are taken at the server's pace and
  // queued; each request carries what was captured while the previous one was
  // under way (one frame on a good line, several on a slow one), so the server
  // sees the actions at the camera's pace whatever the line.
  // The server accepts a batch whose capture times span at most its skew
  // bound: frames older than that (a stalled line) are dropped, not sent.
  // More frames waiting than one request may carry (a slow line): the ones
  // that go are spread evenly rather than a run of them, so the server still
  // sees the whole movement, at a lower pace, instead of a hole in it.
  function take() {
    var newest = queue.length ? queue[queue.length - 1].ts : 0;
    while (queue.length > 1 && newest - queue[0].ts > MAX_SPAN_S) {
      queue.shift();
      dropped += 1;
    }
    var batch = queue;
    queue = [];
    if (batch.length <= MAX_BATCH) return batch;
    dropped += batch.length - MAX_BATCH;
    if (MAX_BATCH < 2) return batch.slice(-1);
    var picked = [];
    for (var k = 0; k < MAX_BATCH; k++) {
      picked.push(batch[Math.round((k * (batch.length - 1)) / (MAX_BATCH - 1))]);
    }
    return picked;
  }

  function wake() {
    if (onFrame) { onFrame(); onFrame = null; }
  }

  function frameArrived() {
    if (queue.length) return Promise.resolve();
    return new Promise(function (resolve) { onFrame = resolve; });
  }

  async function capture(round) {
    while (running && round === rounds) {
      var began = performance.now();
      var blob = await grab();
      if (blob) {
        queue.push({ blob: blob, ts: (began - t0) / 1000 });
        // Far behind: the oldest go (take() thins what is left evenly).
        if (queue.length > 2 * MAX_BATCH) { queue.shift(); dropped += 1; }
        wake();
      }
      var spent = performance.now() - began;
      if (spent < FRAME_INTERVAL_MS) {
        await new Promise(function (r) {
          paceWake = r;
          setTimeout(r, FRAME_INTERVAL_MS - spent);
        });
        paceWake = null;
      }
    }
    wake();
  }

  function send(batch) {
    if (batch.length === 1) {
      return post(session.frame_url, batch[0].blob, {
        "Content-Type": "image/jpeg",
        "X-Frame-Time": batch[0].ts.toFixed(3),
      });
    }
    var form = new FormData();
    batch.forEach(function (f) {
      form.append("frame", f.blob, "frame.jpg");
      form.append("ts", f.ts.toFixed(3));
    });
    return post(session.frame_url, form, {});
  }

  var lastSent = 0;
  async function loop() {
    queue = [];
    dropped = 0;
    calmSince = performance.now();
    rounds += 1; // a capture loop left from an earlier attempt stops
    capture(rounds);
    while (running) {
      if ((performance.now() - t0) / 1000 > session.session_seconds) {
        running = false;
        await finish();
        return;
      }
      await frameArrived();
      if (!running) return;
      var rest = lastSent + SEND_INTERVAL_MS - performance.now();
      if (rest > 0) await wait(rest);
      if (!running) return;
      adapt();
      var resp;
      var batch = take();
      try {
        lastSent = performance.now();
        resp = await send(batch);
        measure(batch, performance.now() - lastSent, serverMs(resp));
      } catch (e) {
        $("coaching").textContent = "网络不稳定，正在重试……";
        await wait(1000);
        continue;
      }
      var data = await resp.json().catch(function () { return {}; });
      if (resp.status === 409) continue;
      if (!resp.ok) {
        if (data.error === "stale_frames") {
          // Frames that waited too long on a slow line: the server dropped
          // them; the session goes on with fresh ones.
          queue = [];
          $("coaching").textContent = data.message || "";
        } else if (data.error === "bad_image" || data.error === "no_face") {
          $("coaching").textContent = data.message || "";
        } else {
          fail(data.message || "认证中断，请重新开始。", data.error);
          return;
        }
      } else {
        update(data);
        if (data.finished) { conclude(data); return; }
      }
    }
  }

  async function start() {
    $("start").disabled = true;
    $("start").hidden = true;
    $("verdict").hidden = true;
    $("tries-left").hidden = true;
    lastPrompt = "";
    $("relogin").hidden = true;
    if (!stream || !stream.active) await check();
    var asked = performance.now();
    var resp = await post(app.dataset.startUrl, "", {});
    roundTrip(Math.max(performance.now() - asked - serverMs(resp), 1));
    var data = await resp.json().catch(function () { return {}; });
    if (!resp.ok) { fail(data.message || "暂时无法开始认证，请稍后再试。", data.error); return; }
    session = data;
    labels = {};
    if (data.frame_interval_ms) pace(data.frame_interval_ms);
    if (data.send_interval_ms) SEND_INTERVAL_MS = data.send_interval_ms;
    if (data.max_batch_frames) MAX_BATCH = data.max_batch_frames;
    if (data.max_frame_span_s) MAX_SPAN_S = data.max_frame_span_s;
    $("check").hidden = true;
    t0 = performance.now();
    running = true;
    renderSteps(0, 0, null);
    $("prompt").focus(); // the start button is gone: keyboard focus follows the prompt
    $("prompt").textContent = "请正对摄像头，保持不动";
    lastPrompt = "请正对摄像头，保持不动";
    speak(lastPrompt);
    loop();
  }

  setupVoiceControls();
  $("start").addEventListener("click", start);
  $("recheck").addEventListener("click", check);
  check();
})();
