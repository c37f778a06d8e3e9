// The "Your data" page: each .transfer block polls its job's status (the API, same session)
// and moves its progress bar; a finished export shows its single-use download link.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function poll(block) {
    var bar = block.querySelector("progress");
    var status = block.querySelector(".transfer-status");
    var link = block.querySelector(".transfer-download");
    function label(name) { return block.dataset["label" + name.charAt(0).toUpperCase() + name.slice(1)] || ""; }
    function tick() {
      fetch(block.dataset.transferUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (job) {
          bar.value = job.progress;
          bar.textContent = Math.round(job.progress * 100) + "%";
          var text = label(job.status);
          if (job.status === "failed" && job.error) text += " " + job.error;
          if (job.status === "done" && link && !job.download_url) text = label("gone");
          status.textContent = text;
          if (job.status === "done" && link && job.download_url) {
            link.href = job.download_url;
            block.querySelector(".transfer-ready").hidden = false;
          }
          if (job.status === "pending" || job.status === "running") window.setTimeout(tick, POLL_MS);
        })
        .catch(function () { window.setTimeout(tick, POLL_MS * 5); });
    }
    tick();
  }

  document.querySelectorAll(".transfer[data-transfer-url]").forEach(poll);
})();
