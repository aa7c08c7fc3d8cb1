// The live map: every commune of the provinces in the user's scope, coloured by its level,
// updated over Server-Sent Events without reloading; pan and zoom by mouse, touch or keyboard;
// station markers with their latest values; select a commune for its details.
'use strict';
(() => {
  const T = tocsin.labels;
  const hazardNames = JSON.parse(document.getElementById('hazard-names').textContent);
  const actionNames = new Map(T.actions);
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.getElementById('map');
  const live = document.getElementById('live');
  const started = performance.now();
  // Longitude is shortened by the cosine of Vietnam's middle latitude, so shapes keep their form.
  const LON_FACTOR = Math.cos(16 * Math.PI / 180);
  const communes = new Map();   // code -> {path, province, level, hazards, name}
  const provinces = new Map();  // code -> {name, group, detailed}
  let home = null;              // the whole view: {x, y, w, h}
  let view = null;
  let selected = null;
  window.tocsinMap = { changes: [] };

  /** Draws a province's rings ("M x y l dx dy … z", integers of 1/scale degree). */
  function ringPath(ring) {
    let d = `M${ring[0]} ${ring[1]}l`;
    for (let i = 2; i < ring.length; i += 2) d += `${ring[i]} ${ring[i + 1]} `;
    return d + 'z';
  }

  function extend(box, ring, scale) {
    let lon = ring[0], lat = ring[1];
    for (let i = 0; i < ring.length; i += 2) {
      if (i > 0) { lon += ring[i]; lat += ring[i + 1]; }
      const x = lon / scale * LON_FACTOR, y = -lat / scale;
      box.minX = Math.min(box.minX, x); box.maxX = Math.max(box.maxX, x);
      box.minY = Math.min(box.minY, y); box.maxY = Math.max(box.maxY, y);
    }
  }

  function provinceGroup(code, scale) {
    const group = document.createElementNS(NS, 'g');
    group.setAttribute('data-province', code);
    group.setAttribute('transform', `scale(${LON_FACTOR / scale} ${-1 / scale})`);
    return group;
  }

  function draw(data) {
    const box = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
    const layer = document.createElementNS(NS, 'g');
    layer.id = 'communes';
    for (const p of data.provinces) {
      const group = provinceGroup(p.code, data.scale);
      provinces.set(p.code, { name: tocsin.lang === 'en' ? p.name_en : p.name, group, detailed: false });
      for (const c of p.communes) {
        const path = document.createElementNS(NS, 'path');
        path.setAttribute('d', c.rings.map(ringPath).join(''));
        path.setAttribute('class', 'lvl-0');
        path.setAttribute('data-code', c.code);
        group.appendChild(path);
        communes.set(c.code, { path, province: p.code, level: 0, hazards: [], name: c.name || '' });
        c.rings.forEach((r) => extend(box, r, data.scale));
      }
      layer.appendChild(group);
    }
    svg.appendChild(layer);
    const outlines = document.createElementNS(NS, 'g');
    outlines.id = 'provinces';
    for (const p of data.provinces) {
      const group = provinceGroup(p.code, data.scale);
      const path = document.createElementNS(NS, 'path');
      path.setAttribute('d', p.outline.map(ringPath).join(''));
      group.appendChild(path);
      outlines.appendChild(group);
    }
    svg.appendChild(outlines);
    const stations = document.createElementNS(NS, 'g');
    stations.id = 'stations';
    svg.appendChild(stations);
    if (box.minX === Infinity) Object.assign(box, { minX: 100, maxX: 110, minY: -24, maxY: -8 });
    const pad = 0.02 * (box.maxX - box.minX);
    home = { x: box.minX - pad, y: box.minY - pad, w: box.maxX - box.minX + 2 * pad, h: box.maxY - box.minY + 2 * pad };
    setView(home);
    fillProvinceChooser();
  }

  function setView(v) {
    view = v;
    svg.setAttribute('viewBox', `${v.x} ${v.y} ${v.w} ${v.h}`);
    const r = v.w / 300;
    for (const c of svg.querySelectorAll('#stations circle')) c.setAttribute('r', r);
  }

  function zoom(factor, cx, cy) {
    const x = cx === undefined ? view.x + view.w / 2 : cx;
    const y = cy === undefined ? view.y + view.h / 2 : cy;
    const w = Math.min(home.w * 2, Math.max(home.w / 400, view.w / factor));
    const h = view.h * (w / view.w);
    setView({ x: x - (x - view.x) * (w / view.w), y: y - (y - view.y) * (h / view.h), w, h });
  }

  function pan(dx, dy) { setView({ ...view, x: view.x + dx * view.w, y: view.y + dy * view.h }); }

  /** The map coordinates under a pointer event. */
  function pointAt(event) {
    const rect = svg.getBoundingClientRect();
    const scale = Math.max(view.w / rect.width, view.h / rect.height);
    const offsetX = (rect.width * scale - view.w) / 2, offsetY = (rect.height * scale - view.h) / 2;
    return { x: view.x - offsetX + (event.clientX - rect.left) * scale, y: view.y - offsetY + (event.clientY - rect.top) * scale, scale };
  }

  function wireNavigation() {
    svg.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = pointAt(e);
      zoom(e.deltaY < 0 ? 1.25 : 0.8, p.x, p.y);
    }, { passive: false });
    let drag = null;
    svg.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, moved: false }; });
    svg.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const p = pointAt(e);
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        setView({ ...view, x: view.x - dx * p.scale, y: view.y - dy * p.scale });
        drag.x = e.clientX; drag.y = e.clientY;
      }
    });
    svg.addEventListener('pointerup', (e) => {
      const wasClick = drag && !drag.moved;
      drag = null;
      if (!wasClick || !e.target.dataset) return;
      if (e.target.dataset.code) select(e.target.dataset.code);
      if (e.target.dataset.commune) location.href = `/regions/${e.target.dataset.commune}#station-${e.target.dataset.station}`;
    });
    svg.addEventListener('keydown', (e) => {
      const keys = { ArrowLeft: () => pan(-0.1, 0), ArrowRight: () => pan(0.1, 0), ArrowUp: () => pan(0, -0.1),
        ArrowDown: () => pan(0, 0.1), '+': () => zoom(1.25), '=': () => zoom(1.25), '-': () => zoom(0.8), '0': () => setView(home) };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
    document.getElementById('zoom-in').addEventListener('click', () => zoom(1.5));
    document.getElementById('zoom-out').addEventListener('click', () => zoom(1 / 1.5));
    document.getElementById('zoom-reset').addEventListener('click', () => setView(home));
    document.getElementById('show-stations').addEventListener('change', (e) => {
      document.getElementById('stations').style.display = e.target.checked ? '' : 'none';
    });
  }

  /** A list of provinces for keyboard users: choosing one opens its page. */
  function fillProvinceChooser() {
    const section = document.getElementById('selected');
    const label = document.createElement('label');
    label.textContent = T.province + ' ';
    const chooser = document.createElement('select');
    chooser.id = 'province-chooser';
    chooser.append(new Option('—', ''));
    [...provinces.entries()].sort((a, b) => a[1].name.localeCompare(b[1].name, tocsin.lang))
      .forEach(([code, p]) => chooser.append(new Option(p.name, code)));
    chooser.addEventListener('change', () => { if (chooser.value) location.href = `/regions/${chooser.value}`; });
    label.appendChild(chooser);
    const p = document.createElement('p');
    p.appendChild(label);
    section.parentNode.insertBefore(p, section);
  }

  /** Paints a commune with its level; remembers when, for the latency measurement. */
  function paint(code, level, hazards, reason) {
    const c = communes.get(code);
    if (!c) return;
    c.hazards = hazards || [];
    c.reason = reason || null;
    if (c.level === level) return;
    c.level = level;
    c.path.setAttribute('class', `lvl-${level}` + (selected === code ? ' selected' : ''));
    window.tocsinMap.changes.push({ code, level, at: performance.now() });
    if (selected === code) showSelected();
  }

  function applySituation(s) {
    const silent = new Set(s.silent_stations.map((d) => d.station));
    for (const circle of svg.querySelectorAll('#stations circle')) {
      circle.classList.toggle('silent', silent.has(circle.dataset.station));
    }
    for (const [code, c] of communes) {
      const found = s.communes[code];
      paint(code, found ? found.level : 0, found ? found.hazards : [], found ? found.reason : null);
    }
    for (let level = 1; level <= 5; level++) {
      const count = document.getElementById(`count-${level}`);
      if (count) count.textContent = s.communes_per_level[level];
    }
    const max = document.getElementById('max-level');
    max.textContent = tocsin.levelName(s.max_level);
    max.className = `badge lvl-${s.max_level}`;
  }

  async function refresh() {
    applySituation(await tocsin.get('/api/v1/situation'));
  }

  async function drawStations() {
    const [stations, latest] = await Promise.all([tocsin.get('/api/v1/stations'), tocsin.get('/api/v1/latest')]);
    const values = new Map();
    for (const l of latest) {
      const line = `${l.metric} ${tocsin.number(l.value)} ${l.unit} (${tocsin.time(l.time)})`;
      values.set(l.station, (values.get(l.station) || []).concat(line));
    }
    const layer = document.getElementById('stations');
    for (const s of stations) {
      if (s.retired) continue;
      const circle = document.createElementNS(NS, 'circle');
      circle.setAttribute('cx', s.lon * LON_FACTOR);
      circle.setAttribute('cy', -s.lat);
      circle.setAttribute('r', view.w / 300);
      circle.setAttribute('data-station', s.id);
      if (s.commune) circle.setAttribute('data-commune', s.commune);
      const title = document.createElementNS(NS, 'title');
      title.textContent = [`${s.name} (${s.id})`].concat(values.get(s.id) || []).join('\n');
      circle.appendChild(title);
      layer.appendChild(circle);
    }
  }

  /** Fetches a province's finer shapes and its commune names once. */
  async function detail(code) {
    const p = provinces.get(code);
    if (!p || p.detailed) return;
    p.detailed = true;
    const data = await tocsin.get(`/api/v1/map/communes?province=${encodeURIComponent(code)}`);
    for (const province of data.provinces) {
      const group = provinces.get(province.code).group;
      group.setAttribute('transform', `scale(${LON_FACTOR / data.scale} ${-1 / data.scale})`);
      for (const c of province.communes) {
        const known = communes.get(c.code);
        if (!known) continue;
        known.path.setAttribute('d', c.rings.map(ringPath).join(''));
        known.name = c.name;
      }
    }
  }

  async function select(code) {
    if (selected) communes.get(selected).path.classList.remove('selected');
    selected = code;
    const c = communes.get(code);
    c.path.classList.add('selected');
    showSelected();
    await detail(c.province);
    showSelected();
  }

  function showSelected() {
    const c = communes.get(selected);
    const p = provinces.get(c.province);
    document.getElementById('selected').hidden = false;
    document.getElementById('selected-name').textContent = `${c.name || selected} (${selected})`;
    const level = document.getElementById('selected-level');
    level.textContent = tocsin.levelName(c.level);
    level.className = `badge lvl-${c.level}`;
    const hazards = c.hazards.map((h) => hazardNames[h] || h);
    document.getElementById('selected-hazards').textContent = hazards.length ? hazards.join(', ') : T.none;
    // A level the concurrent-hazard raise made says why, in the page's language.
    const reason = document.getElementById('selected-reason');
    const english = document.documentElement.lang.startsWith('en');
    reason.textContent = c.reason ? (english ? c.reason.en : c.reason.vi) : '';
    reason.hidden = !c.reason;
    document.getElementById('selected-link').href = `/regions/${selected}`;
    const province = document.getElementById('selected-province');
    province.href = `/regions/${c.province}`;
    province.textContent = `${T.province}: ${p.name}`;
  }

  function addWarning(w) {
    const list = document.getElementById('warnings-list');
    const empty = list.querySelector('.empty');
    if (empty) empty.remove();
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `/warnings/${w.warning}`;
    const badge = document.createElement('span');
    badge.className = `badge lvl-${w.level}`;
    badge.textContent = tocsin.levelName(w.level);
    const province = provinces.get(w.province);
    const hazard = hazardNames[w.hazard] || w.hazard;
    const action = actionNames.get(w.action) || w.action;
    link.append(badge, ` ${hazard} — ${province ? province.name : w.province} (${action})`);
    item.appendChild(link);
    list.prepend(item);
  }

  function listen() {
    let timer = null;
    const source = new EventSource('/api/v1/stream');
    let lost = false;
    source.onopen = () => {
      live.textContent = T.live; live.className = 'live on';
      if (lost) { lost = false; refresh(); }
    };
    source.onerror = () => { lost = true; live.textContent = T.reconnecting; live.className = 'live off'; };
    // Level changes come in bursts: read the situation once per burst.
    source.addEventListener('detection', () => {
      if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, 50);
    });
    source.addEventListener('warning', (e) => addWarning(JSON.parse(e.data)));
  }

  async function start() {
    wireNavigation();
    const [shapes, situation] = await Promise.all([
      tocsin.get('/api/v1/map/communes'), tocsin.get('/api/v1/situation'),
    ]);
    draw(shapes);
    applySituation(situation);
    window.tocsinMap.changes = [];
    requestAnimationFrame(() => {
      window.tocsinMap.drawnMs = performance.now() - started;
      svg.dataset.state = 'ready';
    });
    listen();
    drawStations().then(refresh).catch((e) => console.error(e));
  }

  start().catch((e) => {
    svg.dataset.state = 'failed';
    live.textContent = e.message;
    live.className = 'live off';
  });
})();
