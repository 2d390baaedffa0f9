// The data-space editor: the form is checked as you type (the server runs the same validation as
// `leads data validate`), and alignment fields search the configured Wikibase as you type. No inline script (CSP).
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) { return; }
  var box = document.getElementById("problems");
  var timer = null;
  var seq = 0;

  function show(problems) {
    box.textContent = "";
    if (!problems.length) {
      box.className = "problems empty";
      var ok = document.createElement("p");
      ok.id = "no-problems";
      ok.textContent = form.dataset.ok;
      box.appendChild(ok);
      return;
    }
    box.className = "problems";
    var h = document.createElement("h2");
    h.textContent = form.dataset.heading;
    box.appendChild(h);
    var ul = document.createElement("ul");
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.text;
      if (p.text_lang && p.text_lang !== document.documentElement.lang) { li.lang = p.text_lang; }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function check() {
    var mine = ++seq;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.dataset.check, {method: "POST", body: body, credentials: "same-origin",
                               headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) { show(data.problems || []); } })
      .catch(function () { /* offline: the server checks again on publish */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);

  Array.prototype.forEach.call(form.querySelectorAll("input[data-search]"), function (input) {
    var list = document.getElementById(input.id + "-results");
    var wait = null;
    input.addEventListener("input", function () {
      clearTimeout(wait);
      var q = input.value.trim();
      if (q.length < 2 || /^Q[0-9]+$/.test(q) || /^https?:/.test(q)) { list.textContent = ""; return; }
      wait = setTimeout(function () {
        fetch("/edit/search?q=" + encodeURIComponent(q) + "&lang=" + encodeURIComponent(form.dataset.lang),
              {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.textContent = "";
            (data.results || []).forEach(function (hit) {
              var li = document.createElement("li");
              var b = document.createElement("button");
              b.type = "button";
              b.textContent = hit.label + (hit.description ? " — " + hit.description : "") + " (" + hit.id + ")";
              b.addEventListener("click", function () {
                input.value = input.dataset.search === "wikidata" ? hit.id : hit.uri;
                list.textContent = "";
                later();
              });
              li.appendChild(b);
              list.appendChild(li);
            });
          })
          .catch(function () { list.textContent = ""; });
      }, 250);
    });
  });
  check();
})();
