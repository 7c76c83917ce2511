// The dashboards' charts: draws each chart of #dash-charts-data with ECharts (vendor/echarts), in the
// site's red and gold, and lays it out again when its box changes size. Every number is also in the
// chart's table view, so nothing is lost where this script does not run.
(function () {
  "use strict";

  var source = document.getElementById("dash-charts-data");
  if (!source || !window.echarts) return;
  var specs = JSON.parse(source.textContent).charts || [];

  var css = getComputedStyle(document.documentElement);
  function colour(name, fallback) {
    return (css.getPropertyValue(name) || "").trim() || fallback;
  }
  var RED = colour("--site-red", "#b3121f");
  var GOLD = colour("--site-gold", "#f6c244");
  var DARK = colour("--site-red-darker", "#6f0b13");
  var PALETTE = [RED, GOLD, DARK, "#e07a2f", "#8a8f98", "#d98c94"];
  var TEXT = "#3a3d41";
  var MUTED = "#6c7075";
  var FONT = getComputedStyle(document.body).fontFamily;
  var FONT_SIZE = 13;
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var locale = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";

  // Legend items (icon 25 + 5, text, gap 14) wrap on a narrow phone: the plot starts below them.
  var ruler = document.createElement("canvas").getContext("2d");
  var LEGEND_GAP = 14;
  var LEGEND_LINE = 28;
  function textWidth(text) {
    ruler.font = FONT_SIZE + "px " + FONT;
    return ruler.measureText(String(text)).width;
  }
  function legendLines(names, width) {
    var lines = 1;
    var used = 0;
    names.forEach(function (name) {
      var item = 30 + textWidth(name) + LEGEND_GAP;
      if (used > 0 && used + item > width) {
        lines += 1;
        used = 0;
      }
      used += item;
    });
    return lines;
  }

  function percent(value) {
    return value == null ? "—" : value + "%";
  }

  function format(unit) {
    return unit === "percent" ? percent : function (value) { return value == null ? "—" : String(value); };
  }

  function option(spec, view, width) {
    var horizontal = spec.kind === "hbar";
    var line = spec.kind === "line";
    var unit = view.unit;
    var many = view.series.length > 1;
    var count = spec.categories.length;
    var top = many ? legendLines(view.series.map(function (s) { return s.name; }), width - 10) * LEGEND_LINE + 8 : 22;

    var valueAxis = {
      type: "value",
      minInterval: unit === "hours" ? 0 : 1,
      axisLabel: { color: MUTED, hideOverlap: true },
      splitLine: { lineStyle: { color: "#ece6e3" } },
    };
    if (unit === "percent") {
      valueAxis.max = 100;
      valueAxis.axisLabel.formatter = "{value}%";
    }
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      inverse: horizontal, // the first part on top, as in the table
      axisTick: { alignWithLabel: true },
      axisLine: { lineStyle: { color: "#c9c2bf" } },
      axisLabel: { color: TEXT },
    };
    if (horizontal) {
      // Names of streets and communities: as wide as a third of the box, cut with "…" beyond.
      categoryAxis.axisLabel.width = Math.max(72, Math.min(180, Math.round(width * 0.3)));
      categoryAxis.axisLabel.overflow = "truncate";
    } else if (count <= 8) {
      // Few categories (score bands, stars): every label shown, on two lines where it must.
      categoryAxis.axisLabel.interval = 0;
      // (a label may reach a little into its neighbours' room: theirs are short, "60–69").
      categoryAxis.axisLabel.width = Math.max(44, Math.floor((width - 40) / count) + 10);
      categoryAxis.axisLabel.overflow = "break";
    } else {
      categoryAxis.axisLabel.hideOverlap = true;
    }
    var labelled = horizontal ? count <= 20 : !many && count <= 12;

    // A view with nothing to show (the chart's other views have something) says so in its plot.
    var graphic = [];
    if (view.empty) {
      var label = horizontal ? categoryAxis.axisLabel.width + 16 : 48;
      graphic.push({
        type: "text",
        left: label,
        top: "middle",
        z: 100,
        style: {
          text: spec.empty_text,
          width: Math.max(120, width - label - 60),
          overflow: "break",
          fill: MUTED,
          font: "15px " + FONT,
          backgroundColor: "rgba(255, 255, 255, 0.94)",
          padding: [8, 12],
          borderRadius: 6,
        },
      });
    }

    return {
      animation: !still,
      graphic: graphic,
      color: PALETTE,
      textStyle: { fontFamily: FONT, fontSize: FONT_SIZE },
      grid: { left: 8, right: horizontal ? 44 : 12, top: top, bottom: 8 },
      legend: many
        ? { top: 0, left: 0, itemGap: LEGEND_GAP, textStyle: { color: TEXT, fontSize: FONT_SIZE } }
        : { show: false },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: line ? "line" : "shadow" },
        valueFormatter: format(unit),
        confine: true,
      },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: view.series.map(function (series) {
        var item = {
          name: series.name,
          type: line ? "line" : "bar",
          data: series.data,
          label: {
            show: labelled && !line,
            position: horizontal ? "right" : "top",
            color: TEXT,
            formatter: function (p) {
              if (unit === "percent") return percent(p.value);
              return p.value ? String(p.value) : "";
            },
          },
        };
        if (line) {
          item.showSymbol = count <= 24;
        } else {
          item.barMaxWidth = 28;
          item.itemStyle = { borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] };
        }
        return item;
      }),
    };
  }

  function hbarHeight(spec, view) {
    var perPart = view.series.length * 16 + 14;
    return Math.max(220, spec.categories.length * perPart + (view.series.length > 1 ? 64 : 36));
  }

  var drawn = [];

  // Lay the chart out for its box's width now (legend lines, label widths), without animating.
  function fit(state) {
    var box = state.chart.getDom();
    if (box.clientWidth === 0 || box.clientHeight === 0) return; // hidden for a moment: wait
    state.chart.resize();
    state.chart.setOption(option(state.spec, state.spec.views[state.current], box.clientWidth), {
      replaceMerge: ["graphic"],
    });
  }

  function draw(spec) {
    var box = document.getElementById(spec.id);
    if (!box || !spec.views.length) return;
    box.hidden = false;
    var state = { spec: spec, current: 0, chart: null };
    if (spec.kind === "hbar") box.style.height = hbarHeight(spec, spec.views[0]) + "px";
    state.chart = window.echarts.init(box, null, { renderer: "canvas", locale: locale });
    state.chart.setOption(option(spec, spec.views[0], box.clientWidth));
    drawn.push(state);

    var buttons = document.querySelector('[data-chart-views="' + spec.id + '"]');
    if (!buttons) return;
    buttons.hidden = false;
    buttons.addEventListener("click", function (event) {
      var button = event.target.closest("[data-chart-view]");
      if (!button) return;
      state.current = Number(button.getAttribute("data-chart-view"));
      buttons.querySelectorAll("[data-chart-view]").forEach(function (other) {
        var on = other === button;
        other.setAttribute("aria-pressed", on ? "true" : "false");
        other.classList.toggle("btn-primary", on);
        other.classList.toggle("btn-outline-primary", !on);
      });
      var view = spec.views[state.current];
      if (spec.kind === "hbar") {
        box.style.height = hbarHeight(spec, view) + "px";
        state.chart.resize();
      }
      state.chart.setOption(option(spec, view, box.clientWidth), { notMerge: true });
    });
  }

  specs.forEach(draw);

  // Lay out again when a box changes size (a phone turned, a window resized, a column reflowed).
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        drawn.forEach(function (state) {
          if (state.chart.getDom() === entry.target) fit(state);
        });
      });
    });
    drawn.forEach(function (state) { observer.observe(state.chart.getDom()); });
  } else {
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(function () {
        pending = null;
        drawn.forEach(fit);
      });
    });
  }
})();
