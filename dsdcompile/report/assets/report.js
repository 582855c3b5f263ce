// dsdcompile design report: table search, and domain-level drawings of complexes on demand.
(function () {
  "use strict";
  var dataEl = document.getElementById("dsd-data");
  var data = dataEl ? JSON.parse(dataEl.textContent) : { layouts: [], complexes: {}, strands: [] };

  // Same hash as dsdcompile.report.layout.domain_colour: FNV-1a over UTF-16 code units.
  function colour(domain) {
    var name = domain.replace(/\*+$/, "");
    var h = 0x811c9dc5;
    for (var i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return "hsl(" + (h % 360) + "," + (55 + (h >>> 9) % 25) + "%," + (38 + (h >>> 17) % 14) + "%)";
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A figure like the static ones: the layout's SVG template with names and colours filled in.
  function draw(name) {
    var c = data.complexes[name];
    if (!c) return null;
    var strands = c[1].map(function (i) { return data.strands[i]; });
    var domains = [];
    strands.forEach(function (s) { domains = domains.concat(s[1] ? s[1].split(" ") : []); });
    var fig = el("figure", { "class": "cxfig", "data-complex": name });
    var wrap = el("div", { "class": "svgwrap" });
    wrap.innerHTML = data.layouts[c[0]];
    var svg = wrap.querySelector("svg");
    svg.querySelector("title").textContent = name;
    svg.querySelectorAll("[data-d]").forEach(function (node) {
      var d = domains[+node.getAttribute("data-d")] || "?";
      if (node.tagName.toLowerCase() === "text") node.textContent = d;
      else node.setAttribute("stroke", colour(d));
    });
    fig.appendChild(wrap);
    var cap = el("figcaption");
    cap.appendChild(el("b", {}, name));
    var bits = [c[3], c[2], c[4] ? "module " + c[4] : "", c[5] ? c[5] + " (relative)" : ""].filter(Boolean);
    cap.appendChild(document.createTextNode(" "));
    cap.appendChild(el("span", { "class": "muted" }, bits.join(" \u00b7 ")));
    var ol = el("ol", { "class": "strands" });
    strands.forEach(function (s, k) {
      var released = c[6][k] === 1;
      var li = el("li", { "class": released ? "rel" : "" });
      li.appendChild(el("b", {}, String(k + 1)));
      li.appendChild(document.createTextNode(" " + s[0] + " \u00b7 " + (s[2] || "?") + " nt \u00b7 " + s[3] +
        (released ? " released" : "") + ": "));
      li.appendChild(el("span", { "class": "doms" }, s[1]));
      if (s[4]) { li.appendChild(el("br")); li.appendChild(el("code", { "class": "seq" }, s[4])); }
      ol.appendChild(li);
    });
    cap.appendChild(ol);
    fig.appendChild(cap);
    return fig;
  }

  function show(name) {
    var target = document.getElementById("picked");
    if (!target) return false;
    var fig = draw(name);
    target.textContent = "";
    if (!fig) {
      target.appendChild(el("p", { "class": "note" }, name + ": not among the complexes included in this page"));
      return false;
    }
    target.appendChild(fig);
    return true;
  }

  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    if (!table) return;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = q !== "" && row.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button[data-draw]") : null;
    if (button) {
      show(button.getAttribute("data-draw"));
      document.getElementById("picked").scrollIntoView({ block: "nearest" });
    }
  });
  var go = document.getElementById("draw-go");
  if (go) {
    var list = el("datalist", { id: "complex-names" });
    Object.keys(data.complexes).forEach(function (n) { list.appendChild(el("option", { value: n })); });
    document.body.appendChild(list);
    go.addEventListener("click", function () { show(document.getElementById("draw-name").value.trim()); });
    document.getElementById("draw-name").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") show(ev.target.value.trim());
    });
  }

  window.dsdReport = { draw: draw, show: show, colour: colour, data: data };
  document.body.dataset.ready = "1";
})();
