/* Submits the page's form#dl at once (the deep-linking return to the platform); without script, a button. */
"use strict";
document.getElementById("dl").submit();
