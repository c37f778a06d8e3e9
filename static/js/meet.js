// "Meet your companion": while the server remembers the answers, installs the gift and opens
// the first conversation (a few seconds), show the steps instead of a frozen button. The bar
// follows the steps as they are usually reached; the page moves on when the server is done.
(function () {
  "use strict";
  const form = document.querySelector("[data-meet-form]");
  if (!form) return;
  const panel = form.querySelector(".meet-progress");
  const bar = panel && panel.querySelector("progress");
  const steps = panel ? Array.from(panel.querySelectorAll("li")) : [];
  const STEP_MS = 900;
  form.addEventListener("submit", function () {
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    if (!panel) return;
    panel.hidden = false;
    let current = 0;
    const show = function () {
      steps.forEach(function (step, index) {
        step.classList.toggle("done", index < current);
        step.classList.toggle("current", index === current);
      });
      if (bar) bar.value = Math.min(current + 0.5, steps.length);
    };
    show();
    const timer = window.setInterval(function () {
      if (current >= steps.length - 1) {
        window.clearInterval(timer);
        return;
      }
      current += 1;
      show();
    }, STEP_MS);
  });
})();
