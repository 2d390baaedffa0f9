// Dynamic registration done: tell the platform (LTI Dynamic Registration 1.0, section 3.7) and close.
(() => {
  (window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');
})();
