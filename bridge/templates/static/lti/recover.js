// No state cookie came back inside the platform's frame. Recover without weakening the state check:
// 1. Storage Access API (after a click): the frame may use LEADS's cookies; set the state cookie, go on.
// 2. Otherwise the same login in a top-level window (first-party cookie there); the frame collects the finished
//    launch with a key only this page holds, then shows it here (deep linking then returns from this frame).
(() => {
  const DATA = JSON.parse(document.getElementById('lti-data').textContent);
  const $ = (id) => document.getElementById(id);
  const show = (id, on = true) => { $(id).hidden = !on; };
  const form = () => new URLSearchParams({state: DATA.state, key: DATA.key});
  if (window.top === window) {  // already a window of its own: the browser refuses LEADS's cookies altogether
    show('choices', false); show('blocked'); return;
  }
  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    for (;;) {
      try {
        const r = await fetch(DATA.relay, {method: 'POST', body: form(), credentials: 'omit'});
        if (r.ok) {
          const answer = await r.json();
          if (answer.url) { window.location.replace(answer.url); return; }
        } else if (r.status >= 400 && r.status < 500) { show('waiting', false); show('failed'); return; }
      } catch (e) { /* network hiccup: try again */ }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  $('open-window').addEventListener('click', () => {
    const opened = window.open(DATA.window, 'leads-' + DATA.state);
    if (!opened) { show('popup-blocked'); return; }
    show('popup-blocked', false); show('choices', false); show('waiting');
    poll();
  });
  if (typeof document.hasStorageAccess === 'function' && typeof document.requestStorageAccess === 'function') {
    show('allow');
    $('allow').addEventListener('click', async () => {
      try {
        await document.requestStorageAccess();
        const bound = await fetch(DATA.bind, {method: 'POST', body: form(), credentials: 'include'});
        const probe = await (await fetch(DATA.probe, {credentials: 'include'})).json();
        if (bound.ok && probe.cookie) { window.location.replace(DATA.redirect); return; }
      } catch (e) { /* refused by the browser or the person */ }
      show('allow', false); show('refused');
    });
  }
})();
