// Charts of a region's stations over 24 hours, 7 or 30 days: the mean per step as a line, the
// range between minimum and maximum as a band, and the level thresholds as dashed lines.
'use strict';
(() => {
  const T = tocsin.labels;
  const NS = 'http://www.w3.org/2000/svg';
  const STEPS = { 1: '30m', 7: '3h', 30: '12h' };
  const COLOURS = ['#888', '#3a9bd1', '#c9a800', '#e07b00', '#c01812', '#6a1f86'];
  const HEIGHT = 220, LEFT = 50, RIGHT = 110, TOP = 10, BOTTOM = 24;

  function element(name, attributes, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function plot(svg, steps, thresholds, unit, from, to) {
    svg.replaceChildren();
    const WIDTH = Math.max(400, svg.clientWidth || 800);
    svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    const points = steps.filter((s) => s.count > 0);
    if (!points.length) {
      svg.appendChild(element('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle' }, T.no_data));
      return;
    }
    let low = Math.min(...points.map((s) => s.min));
    let high = Math.max(...points.map((s) => s.max));
    const span = Math.max(high - low, Math.abs(high) * 0.1, 1);
    // Thresholds near the data are drawn; far ones would flatten the line.
    const shown = thresholds.filter((t) => t.value >= low - span && t.value <= high + span);
    shown.forEach((t) => { low = Math.min(low, t.value); high = Math.max(high, t.value); });
    if (high === low) { high += 1; low -= 1; }
    const pad = (high - low) * 0.08;
    low -= pad; high += pad;
    const x = (ms) => LEFT + (ms - from) / (to - from) * (WIDTH - LEFT - RIGHT);
    const y = (v) => TOP + (high - v) / (high - low) * (HEIGHT - TOP - BOTTOM);
    const times = points.map((s) => Date.parse(s.start));
    const band = points.map((s, i) => `${x(times[i])},${y(s.max)}`)
      .concat(points.map((s, i) => `${x(times[i])},${y(s.min)}`).reverse());
    svg.appendChild(element('polygon', { class: 'range', points: band.join(' ') }));
    svg.appendChild(element('polyline', { class: 'series', points: points.map((s, i) => `${x(times[i])},${y(s.mean)}`).join(' ') }));
    if (points.length <= 60) {
      points.forEach((s, i) => svg.appendChild(element('circle', { class: 'point', cx: x(times[i]), cy: y(s.mean), r: 3 })));
    }
    for (const t of shown) {
      const colour = COLOURS[Math.min(5, t.level)];
      svg.appendChild(element('line', { class: 'threshold', x1: LEFT, x2: WIDTH - RIGHT, y1: y(t.value), y2: y(t.value), stroke: colour }));
      svg.appendChild(element('text', { x: WIDTH - RIGHT + 4, y: y(t.value) + 4 },
        `${tocsin.levelName(t.level)}: ${tocsin.number(t.value)}`));
    }
    for (const v of [low + pad, (low + high) / 2, high - pad]) {
      svg.appendChild(element('text', { x: LEFT - 4, y: y(v) + 4, 'text-anchor': 'end' }, tocsin.number(v)));
    }
    svg.appendChild(element('text', { x: LEFT, y: HEIGHT - 6 }, tocsin.time(new Date(from).toISOString())));
    svg.appendChild(element('text', { x: WIDTH - RIGHT, y: HEIGHT - 6, 'text-anchor': 'end' }, `${tocsin.time(new Date(to).toISOString())} (${unit})`));
  }

  async function draw(figure, days) {
    const svg = figure.querySelector('svg');
    const to = Date.now();
    const from = to - days * 86400000;
    const query = new URLSearchParams({
      station: figure.dataset.station, metric: figure.dataset.metric,
      from: new Date(from).toISOString(), to: new Date(to).toISOString(), step: STEPS[days],
    });
    try {
      const series = await tocsin.get(`/api/v1/series?${query}`);
      plot(svg, series.steps, JSON.parse(figure.dataset.thresholds || '[]'), figure.dataset.unit, from, to);
      figure.dataset.state = 'ready';
    } catch (e) {
      svg.replaceChildren(element('text', { x: 10, y: 20 }, e.message));
      figure.dataset.state = 'failed';
    }
  }

  function drawAll(days) {
    document.querySelectorAll('figure.chart').forEach((f) => draw(f, days));
  }

  document.querySelectorAll('.ranges button').forEach((button) => {
    button.addEventListener('click', () => {
      document.querySelectorAll('.ranges button').forEach((b) => b.setAttribute('aria-pressed', b === button));
      drawAll(Number(button.dataset.range));
    });
  });
  drawAll(1);
})();
