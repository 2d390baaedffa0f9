// The launch finished in this top-level window; the course page's frame collects it. Close when script-opened.
(() => {
  if (window.opener) setTimeout(() => window.close(), 1500);
})();
