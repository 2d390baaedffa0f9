/* The QR scanner of /verify: camera or photo, BarcodeDetector when the browser has it, jsQR otherwise.
   Its words come from the page (JSON block #scan-text), so they follow the page language. */
(function () {
  "use strict";
  var section = document.getElementById("scan");
  section.hidden = false;
  var video = document.getElementById("scan-video"), status = document.getElementById("scan-status");
  var start = document.getElementById("scan-start"), stop = document.getElementById("scan-stop");
  var canvas = document.createElement("canvas"), ctx = canvas.getContext("2d", {willReadFrequently: true});
  var stream = null, detector = null;
  var T = JSON.parse(document.getElementById("scan-text").textContent);
  if ("BarcodeDetector" in window) {
    try { detector = new window.BarcodeDetector({formats: ["qr_code"]}); } catch (e) { detector = null; }
  }
  function handle(text) {
    stopCamera();
    text = (text || "").trim();
    if (isUrl(text)) {
      var url = new URL(text);
      if (url.origin === window.location.origin) { status.textContent = T.found; window.location.assign(url.href); return; }
      status.textContent = T.link + " ";
      var a = document.createElement("a"); a.href = url.href; a.textContent = url.href; a.rel = "noopener noreferrer";
      status.appendChild(a); return;
    }
    status.textContent = T.found;
    document.getElementById("credential").value = text;
    document.getElementById("paste-form").submit();
  }
  function isUrl(text) { return /^https?:\/\//i.test((text || "").trim()); }
  function decodeRegion(data, w, x, y, rw, rh) {
    var part = new Uint8ClampedArray(rw * rh * 4);
    for (var row = 0; row < rh; row++) {
      var from = ((y + row) * w + x) * 4;
      part.set(data.subarray(from, from + rw * 4), row * rw * 4);
    }
    var code = window.jsQR(part, rw, rh, {inversionAttempts: "attemptBoth"});
    return code ? code.data : null;
  }
  /* A certificate carries two codes: jsQR reads one code per image and gets lost among six finder patterns.
     So the whole picture is tried first, then overlapping windows (halves, then thirds); the first code that is a
     verification URL wins, else the first code found. */
  function decodeFrame(source, w, h, thorough) {
    canvas.width = w; canvas.height = h; ctx.drawImage(source, 0, 0, w, h);
    var data = ctx.getImageData(0, 0, w, h).data;
    var first = decodeRegion(data, w, 0, 0, w, h);
    if (isUrl(first) || (!thorough && first)) return first;
    var grids = thorough ? [2, 3] : [2];
    for (var g = 0; g < grids.length; g++) {
      var n = grids[g], rw = Math.round(2 * w / (n + 1)), rh = Math.round(2 * h / (n + 1));
      for (var iy = 0; iy < n; iy++) {
        for (var ix = 0; ix < n; ix++) {
          var x = Math.min(w - rw, Math.round(ix * (w - rw) / Math.max(1, n - 1)));
          var y = Math.min(h - rh, Math.round(iy * (h - rh) / Math.max(1, n - 1)));
          var text = decodeRegion(data, w, x, y, rw, rh);
          if (isUrl(text)) return text;
          first = first || text;
        }
      }
    }
    return first;
  }
  function detect(source, w, h, thorough) {
    if (detector) {
      return detector.detect(source).then(function (codes) {
        var url = codes.filter(function (c) { return isUrl(c.rawValue); })[0];
        if (url) return url.rawValue;
        return codes.length ? codes[0].rawValue : decodeFrame(source, w, h, thorough);
      }).catch(function () { return decodeFrame(source, w, h, thorough); });
    }
    return Promise.resolve(decodeFrame(source, w, h, thorough));
  }
  function tick() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      detect(video, video.videoWidth, video.videoHeight, false).then(function (text) {
        if (text) handle(text); else window.requestAnimationFrame(tick);
      });
    } else { window.requestAnimationFrame(tick); }
  }
  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null; video.hidden = true; stop.hidden = true; start.hidden = false;
  }
  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { status.textContent = T.nocam; return; }
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; stop.hidden = false; start.hidden = true;
      status.textContent = T.looking; video.play(); window.requestAnimationFrame(tick);
    }).catch(function () { status.textContent = T.nocam; });
  });
  stop.addEventListener("click", stopCamera);
  document.getElementById("scan-photo").addEventListener("change", function (ev) {
    var file = ev.target.files && ev.target.files[0];
    if (!file) return;
    var img = new Image();
    img.onload = function () {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      detect(img, Math.round(img.width * scale), Math.round(img.height * scale), true).then(function (text) {
        URL.revokeObjectURL(img.src);
        if (text) handle(text); else status.textContent = T.none;
      });
    };
    img.src = URL.createObjectURL(file);
  });
})();
