// The evolution tree of a blueprint's lineage, drawn with d3 (hierarchy + tree layout + zoom)
// from the JSON block "lineage-data" (the same data as GET /api/v1/community/blueprints/<slug>/lineage/).
// Nodes: radius by active users (7 days), colour by rating, removed ones hollow and labelled,
// the current one ringed. Click opens a blueprint; double-click folds/unfolds a branch; wheel
// zooms and drag pans. Branches beyond the current one's path are folded when the tree is big.
(function () {
  "use strict";
  var dataNode = document.getElementById("lineage-data");
  var svgNode = document.getElementById("lineage-tree");
  if (!dataNode || !svgNode || !window.d3) return;
  var d3 = window.d3;
  var lineage = JSON.parse(dataNode.textContent);
  var urlPattern = svgNode.getAttribute("data-blueprint-url");
  var removedLabel = svgNode.getAttribute("data-removed-label") || "removed";
  var privateLabel = svgNode.getAttribute("data-private-label") || "private";
  var FOLD_OVER = 150;

  var byId = new Map(lineage.nodes.map(function (n) { return [n.id, n]; }));
  var rows = lineage.nodes.map(function (n) {
    return Object.assign({}, n, { parentId: n.parent && byId.has(n.parent) ? n.parent : null });
  });
  var root = d3.stratify().id(function (d) { return d.id; }).parentId(function (d) { return d.parentId; })(rows);

  // Keep the path to the current node open; fold the rest when the tree is large.
  var onPath = new Set();
  root.each(function (node) {
    if (node.data.current) node.ancestors().forEach(function (a) { onPath.add(a.data.id); });
  });
  if (rows.length > FOLD_OVER) {
    root.each(function (node) {
      if (node.depth >= 1 && node.children && !onPath.has(node.data.id)) {
        node._children = node.children;
        node.children = null;
      }
    });
  }

  var maxUsers = d3.max(rows, function (d) { return d.active_users_7d; }) || 1;
  var radius = d3.scaleSqrt().domain([0, maxUsers]).range([5, 22]);
  var colour = d3.scaleLinear().domain([1, 3, 5]).range(["#d9534f", "#f0ad4e", "#2e9d5b"]);

  var width = svgNode.clientWidth || 900;
  var height = Math.max(480, Math.min(900, 120 + rows.length * 6));
  var svg = d3.select(svgNode).attr("viewBox", [0, 0, width, height]).attr("height", height);
  var canvas = svg.append("g").attr("class", "tree-canvas");
  var zoom = d3.zoom().scaleExtent([0.1, 4]).on("zoom", function (event) {
    canvas.attr("transform", event.transform);
  });
  svg.call(zoom).on("dblclick.zoom", null);

  function hiddenCount(node) {
    var count = 0;
    (node._children || []).forEach(function (child) { count += 1 + child.descendants().length - 1; });
    return count;
  }

  function draw() {
    var layout = d3.tree().nodeSize([34, 150]);
    layout(root);
    var nodes = root.descendants();
    var links = root.links();

    canvas.selectAll("path.tree-link").data(links, function (d) { return d.target.data.id; })
      .join("path").attr("class", "tree-link")
      .attr("d", d3.linkHorizontal().x(function (d) { return d.y; }).y(function (d) { return d.x; }));

    var groups = canvas.selectAll("g.tree-node").data(nodes, function (d) { return d.data.id; })
      .join(function (enter) {
        var g = enter.append("g");
        g.append("circle");
        g.append("text").attr("class", "tree-label").attr("dy", "0.32em");
        g.append("title");
        return g;
      });
    groups
      .attr("class", function (d) {
        return "tree-node status-" + d.data.status + (d.data.current ? " current" : "") +
          (d._children ? " folded" : "");
      })
      .attr("data-id", function (d) { return d.data.id; })
      .attr("transform", function (d) { return "translate(" + d.y + "," + d.x + ")"; });
    groups.select("circle")
      .attr("r", function (d) { return radius(d.data.active_users_7d); })
      .attr("fill", function (d) {
        if (d.data.status === "removed") return "#ffffff";
        return d.data.rating ? colour(d.data.rating) : "#b8b8c0";
      });
    groups.select("text.tree-label")
      .attr("x", function (d) { return radius(d.data.active_users_7d) + 4; })
      .text(function (d) {
        var label = d.data.title || (d.data.status === "removed" ? removedLabel : privateLabel);
        return d._children ? label + " (+" + hiddenCount(d) + ")" : label;
      });
    groups.select("title").text(function (d) {
      var n = d.data;
      var lang = document.documentElement.lang;
      return [
        n.title || (n.status === "removed" ? removedLabel : privateLabel),
        interpolate(ngettext("%s active", "%s active", n.active_users_7d), [n.active_users_7d.toLocaleString(lang)]),
        n.rating ? n.rating.toLocaleString(lang) + "★" : gettext("no rating"),
        interpolate(ngettext("%s fork", "%s forks", n.forks), [n.forks.toLocaleString(lang)]),
      ].join(" · ");
    });
    groups.on("click", function (event, d) {
      if (event.detail > 1) return;
      if (d.data.slug) window.location.href = urlPattern.replace("SLUG", d.data.slug);
    });
    groups.on("dblclick", function (event, d) {
      event.preventDefault();
      if (d.children) { d._children = d.children; d.children = null; }
      else if (d._children) { d.children = d._children; d._children = null; }
      draw();
    });
    svgNode.setAttribute("data-drawn", String(nodes.length));
  }

  draw();
  var current = root.descendants().find(function (d) { return d.data.current; }) || root;
  svg.call(zoom.transform, d3.zoomIdentity.translate(width / 3 - current.y, height / 2 - current.x));
})();
