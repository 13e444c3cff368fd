// Explorers (nnbasics.explorer): each <figure class="nnbasics-explorer"> carries its chart's
// Vega-Lite specification, the numbers of every setting included, and Vega-Embed draws it with its
// sliders and menus (Vega binds them; moving one only filters the stored numbers). This file is glue:
// it narrows the chart to the column on a phone, follows the theme's light and dark modes, and keeps
// the controls' values when it redraws for either.
(function () {
  "use strict";
  var GAP = 16;      // between the panels of a side-by-side chart
  var AXES = 64;     // room for a panel's axis labels and title beside its plotting width

  function dark() {
    return document.documentElement.dataset.theme === "dark";
  }

  // Every panel with a fixed width gets at most the room the column leaves it (never more).
  function fit(node, room, axes) {
    if (!node || typeof node !== "object") return;
    if (typeof node.width === "number") node.width = Math.max(120, Math.min(node.width, room - axes));
    (node.vconcat || []).forEach(function (child) { fit(child, room, axes); });
    (node.layer || []).forEach(function (child) { fit(child, room, axes); });
    var row = node.hconcat || node.concat || [];
    row.forEach(function (child) { fit(child, (room - GAP * (row.length - 1)) / row.length, axes); });
    if (node.spec) fit(node.spec, room, axes);
  }

  function draw(figure) {
    var spec = JSON.parse(figure.querySelector("script.nnbasics-explorer-spec").textContent);
    (figure._values || []).forEach(function (pair) {
      (spec.params || []).forEach(function (p) { if (p.name === pair[0]) p.value = pair[1]; });
    });
    var target = figure.querySelector(".nnbasics-explorer-view");
    var room = target.clientWidth || figure.clientWidth;
    fit(spec, room, AXES + (figure._extra || 0));
    if (figure._view) figure._view.finalize();
    figure._room = target.clientWidth;
    return vegaEmbed(target, spec, {
      renderer: "svg", actions: false, theme: dark() ? "dark" : undefined,
      // Vega's dark theme leaves text marks (labels on bars, notes in a chart) black
      config: dark() ? { text: { color: "#e6e6e6" } } : {},
    }).then(function (result) {
      figure._view = result.view;
      // Axis labels wider than guessed: narrow the panels by the overflow and draw once more.
      var svg = target.querySelector("svg");
      var over = svg ? Number(svg.getAttribute("width")) - room : 0;
      if (over > 0 && !figure._extra) {
        figure._extra = over + 4;
        return redraw(figure);
      }
      showValues(figure, spec);
      figure.dataset.drawn = String(Number(figure.dataset.drawn || 0) + 1);
    }).catch(function (error) {
      console.error("explorer could not be drawn:", error);
    });
  }

  // A slider over a log-spaced grid moves the exponent (JupyterLab shows "log₁₀ lr -1.5"); the
  // book shows the value itself beside it ("lr 0.0316").
  function showValues(figure, spec) {
    var logs = ((spec.usermeta || {}).nnbasics || {}).log || [];
    logs.forEach(function (name) {
      var input = figure.querySelector('.vega-bind input[name="' + name + '"]');
      if (!input || !input.nextElementSibling) return;
      var label = input.parentNode.querySelector(".vega-bind-name");
      if (label) label.textContent = label.textContent.replace(/^log₁₀ /, "");
      var readout = input.nextElementSibling;
      var show = function () { readout.textContent = String(Number(Math.pow(10, input.value).toPrecision(3))); };
      input.addEventListener("input", function () { requestAnimationFrame(show); });
      show();
    });
  }

  // Redraw keeping the reader's settings (the theme changed, or the column's width did).
  function redraw(figure) {
    if (figure._view) {
      figure._values = (JSON.parse(figure.querySelector("script.nnbasics-explorer-spec").textContent)
        .params || []).map(function (p) { return [p.name, figure._view.signal(p.name)]; });
    }
    return draw(figure);
  }

  function setup() {
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure.nnbasics-explorer"));
    if (!figures.length) return;
    figures.forEach(draw);
    new MutationObserver(function () { figures.forEach(redraw); })
      .observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        figures.forEach(function (figure) {
          var room = figure.querySelector(".nnbasics-explorer-view").clientWidth;
          if (Math.abs(room - (figure._room || 0)) > 24) redraw(figure);
        });
      }, 200);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
