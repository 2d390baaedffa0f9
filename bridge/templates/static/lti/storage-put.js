// LTI client-side storage (postMessage lti.put_data): the platform keeps the launch state for the tool.
(() => {
  const DATA = JSON.parse(document.getElementById('lti-data').textContent);
  const target = DATA.target === '_parent' ? window.parent : (window.parent.frames[DATA.target] || window.parent);
  const reply = (event, subject) => {  // platforms answer with objects or JSON strings, some with the older prefix
    let data = event.data;
    if (typeof data === 'string') { try { data = JSON.parse(data); } catch (e) { return null; } }
    if (event.origin !== DATA.origin || !data) return null;
    return (data.subject === subject || data.subject === 'org.imsglobal.' + subject) ? data : null;
  };
  const pending = new Set();
  let done = false;
  const go = () => { if (!done) { done = true; window.location.replace(DATA.redirect); } };
  window.addEventListener('message', (event) => {
    const data = reply(event, 'lti.put_data.response');
    if (!data) return;
    pending.delete(data.message_id);
    if (pending.size === 0) go();
  });
  const id = 'leads-' + Math.random().toString(36).slice(2);
  pending.add(id);
  target.postMessage({subject: 'lti.put_data', message_id: id, key: 'state_' + DATA.state, value: DATA.secret},
                     DATA.origin);
  setTimeout(go, 3000);  // a platform that never answers: fall back to the state cookie
})();
