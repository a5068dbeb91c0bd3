// 统计分析: draws the statistics page's charts with Apache ECharts (from the npm registry, bundled
// here, no CDN). The figures come from the page itself as JSON in
// <script type="application/json" id="stats-data">, the same figures its tables show, so no inline
// script is needed (the pages are served under a strict Content-Security-Policy).
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

const PALETTE = ["#a40000", "#2f6f9f", "#d48806", "#5b8c00", "#722ed1", "#8c8c8c"];

function narrow() {
  return window.matchMedia("(max-width: 600px)").matches;
}

function optionFor(chart) {
  const horizontal = Boolean(chart.horizontal);
  const categoryAxis = {
    type: "category",
    data: chart.categories,
    axisLabel: { interval: 0, width: narrow() ? 88 : 140, overflow: "truncate", hideOverlap: false },
    inverse: horizontal,
  };
  if (!horizontal && chart.categories.length > 3) {
    categoryAxis.axisLabel.rotate = narrow() ? 35 : 0;
  }
  const valueAxis = { type: "value", minInterval: chart.integer ? 1 : 0, name: chart.unit || "" };
  const series = chart.series.map((s) => ({
    name: s.name,
    type: "bar",
    stack: chart.stacked ? "total" : undefined,
    data: s.data,
    barMaxWidth: 36,
    label: { show: !chart.stacked, position: horizontal ? "right" : "top" },
  }));
  const yAxes = [valueAxis];
  if (chart.line) {
    yAxes.push({ type: "value", name: chart.line.unit || "", min: 0, max: chart.line.max || null, splitLine: { show: false } });
    series.push({
      name: chart.line.name,
      type: "line",
      yAxisIndex: 1,
      data: chart.line.data,
      smooth: false,
      symbolSize: 8,
      label: { show: true, position: "top" },
    });
  }
  return {
    color: PALETTE,
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: chart.line ? 40 : 16, top: 40, bottom: 8, containLabel: true },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : yAxes,
    series,
  };
}

function draw() {
  const source = document.getElementById("stats-data");
  if (!source) return;
  const figures = JSON.parse(source.textContent);
  const locale = document.documentElement.lang === "en" ? "EN" : "ZH";
  const charts = [];
  for (const chart of figures.charts) {
    const element = document.getElementById(`chart-${chart.id}`);
    if (!element || chart.categories.length === 0) continue;
    const rows = chart.horizontal ? chart.categories.length : 0;
    element.style.height = `${Math.max(260, rows * 34 + 80)}px`;
    const instance = echarts.init(element, null, { renderer: "svg", locale });
    instance.setOption(optionFor(chart));
    element.dataset.drawn = "true";
    charts.push(instance);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  document.body.dataset.chartsDrawn = String(charts.length);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", draw);
} else {
  draw();
}
