// On every page. A colour that comes from data (a tool's spec, the companion) is written in a
// data-color attribute and set here through the CSSOM as --item-color, which the stylesheet
// uses: the Content-Security-Policy blocks style= attributes but not the CSSOM.
(function () {
  "use strict";
  var HEX = /^#[0-9a-fA-F]{6}$/;
  document.querySelectorAll("[data-color]").forEach(function (node) {
    if (HEX.test(node.dataset.color)) node.style.setProperty("--item-color", node.dataset.color);
  });
})();
