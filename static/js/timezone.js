// Sign-up: the browser's time zone goes in the hidden field and is named in the first choice;
// the full list shows only when "Other…" is picked.
(function () {
  "use strict";
  const hidden = document.querySelector("input[name=browser_time_zone]");
  const select = document.getElementById("id_time_zone");
  const other = document.getElementById("id_time_zone_other");
  if (!hidden || !select) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    zone = "";
  }
  hidden.value = zone;
  const label = select.dataset.detectedLabel;
  if (zone && label && select.options.length) {
    select.options[0].textContent = label.replace("%(zone)s", zone);
  }
  if (!other) return;
  const wrapper = other.closest(".field") || other;
  const sync = function () {
    wrapper.hidden = select.value !== "other";
  };
  select.addEventListener("change", sync);
  sync();
})();
