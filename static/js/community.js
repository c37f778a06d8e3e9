// Community pages: each listing's cover colour comes from its data-cover attribute (set as a
// CSS custom property, so no inline style is needed under the Content-Security-Policy).
(function () {
  "use strict";
  var valid = /^#[0-9a-fA-F]{6}$/;
  document.querySelectorAll("[data-cover]").forEach(function (element) {
    var colour = element.getAttribute("data-cover");
    if (valid.test(colour)) element.style.setProperty("--cover", colour);
  });
})();
