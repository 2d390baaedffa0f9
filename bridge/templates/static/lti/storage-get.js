// LTI client-side storage (postMessage lti.get_data): fetch the launch state kept by the platform, post it back.
(() => {
  const DATA = JSON.parse(document.getElementById('lti-data').textContent);
  const target = DATA.target === '_parent' ? window.parent : (window.parent.frames[DATA.target] || window.parent);
  const id = 'leads-' + Math.random().toString(36).slice(2);
  window.addEventListener('message', (event) => {
    let data = event.data;
    if (typeof data === 'string') { try { data = JSON.parse(data); } catch (e) { return; } }
    if (event.origin !== DATA.origin || !data || data.message_id !== id) return;
    if (data.subject !== 'lti.get_data.response' && data.subject !== 'org.imsglobal.lti.get_data.response') return;
    const form = document.createElement('form');
    form.method = 'POST'; form.action = DATA.action;
    const fields = {id_token: DATA.id_token, state: DATA.state, lti_storage_secret: data.value || ''};
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
    }
    document.body.appendChild(form); form.submit();
  });
  target.postMessage({subject: 'lti.get_data', message_id: id, key: 'state_' + DATA.state}, DATA.origin);
  setTimeout(() => {
    document.getElementById('msg').hidden = true;
    document.getElementById('no-answer').hidden = false;
  }, 5000);
})();
