// Submit the page's form (the deep-linking response to the platform's return URL).
(() => { const form = document.querySelector('form[data-autosubmit]'); if (form) form.submit(); })();
