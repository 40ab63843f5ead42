// report.html's script: pan and zoom (wheel, drag, pinch, buttons), tooltips, layer toggles,
// the ratio that colours the map, sortable columns, and the #selftest checks the browser tests
// read. No library, no network.
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  var consoleError = console.error;
  console.error = function () {
    errors.push(Array.prototype.join.call(arguments, ' '));
    consoleError.apply(console, arguments);
  };

  var cfg = JSON.parse(document.getElementById('scales').textContent);
  var svg = document.getElementById('map');
  var box = svg.parentNode;
  var tooltip = document.getElementById('tooltip');
  var full = { x: 0, y: 0, w: 1000, h: +svg.getAttribute('data-height') };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };
  var scalebar = box.querySelector('.scalebar');

  function draw() {
    svg.setAttribute('viewBox', [view.x, view.y, view.w, view.h].map(function (v) { return v.toFixed(2); }).join(' '));
    var ctm = svg.getScreenCTM();
    if (scalebar && ctm) {
      // The bar's length in SVG units, times the screen pixels per unit (letterboxing included).
      var px = +scalebar.getAttribute('data-share') * full.w * ctm.a;
      scalebar.querySelector('.bar').style.width = px.toFixed(1) + 'px';
    }
  }

  // Zoom by `factor` (< 1 zooms in) about the SVG point (cx, cy), within 1× to 64×.
  function zoomAt(factor, cx, cy) {
    var w = Math.min(full.w, Math.max(full.w / 64, view.w * factor));
    var f = w / view.w;
    view.x = cx - (cx - view.x) * f;
    view.y = cy - (cy - view.y) * f;
    view.w = w;
    view.h = view.h * f;
    draw();
  }

  // Screen to SVG units through the screen matrix (which knows the letterboxing).
  function toSvg(clientX, clientY) {
    var p = svg.createSVGPoint();
    p.x = clientX;
    p.y = clientY;
    var q = p.matrixTransform(svg.getScreenCTM().inverse());
    return { x: q.x, y: q.y };
  }

  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    var p = toSvg(e.clientX, e.clientY);
    zoomAt(e.deltaY > 0 ? 1.25 : 0.8, p.x, p.y);
  }, { passive: false });

  var pointers = {};
  function spread() {
    var ids = Object.keys(pointers);
    if (ids.length < 2) return null;
    var a = pointers[ids[0]], b = pointers[ids[1]];
    return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
  svg.addEventListener('pointerdown', function (e) {
    pointers[e.pointerId] = { x: e.clientX, y: e.clientY };
    if (svg.setPointerCapture) { try { svg.setPointerCapture(e.pointerId); } catch (_) { /* synthetic events */ } }
    svg.classList.add('dragging');
  });
  svg.addEventListener('pointermove', function (e) {
    var last = pointers[e.pointerId];
    if (!last) { showTip(e); return; }
    var before = spread();
    pointers[e.pointerId] = { x: e.clientX, y: e.clientY };
    var after = spread();
    if (before && after && before.d > 0) {
      var p = toSvg(after.x, after.y);
      zoomAt(before.d / after.d, p.x, p.y);
    } else if (!before) {
      var perPx = 1 / svg.getScreenCTM().a;
      view.x -= (e.clientX - last.x) * perPx;
      view.y -= (e.clientY - last.y) * perPx;
      draw();
    }
    hideTip();
  });
  function release(e) {
    delete pointers[e.pointerId];
    if (!Object.keys(pointers).length) svg.classList.remove('dragging');
  }
  svg.addEventListener('pointerup', release);
  svg.addEventListener('pointercancel', release);
  svg.addEventListener('pointerleave', function (e) { release(e); hideTip(); });

  document.querySelectorAll('[data-zoom]').forEach(function (b) {
    b.addEventListener('click', function () {
      var kind = b.getAttribute('data-zoom');
      if (kind === 'reset') { view = { x: full.x, y: full.y, w: full.w, h: full.h }; draw(); return; }
      zoomAt(kind === 'in' ? 0.66 : 1.5, view.x + view.w / 2, view.y + view.h / 2);
    });
  });

  function showTip(e) {
    var target = e.target && e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!target) { hideTip(); return; }
    tooltip.textContent = target.getAttribute('data-tip');
    tooltip.hidden = false;
    var r = box.getBoundingClientRect();
    var x = e.clientX - r.left + 12, y = e.clientY - r.top + 12;
    tooltip.style.left = Math.min(x, Math.max(0, r.width - tooltip.offsetWidth - 4)) + 'px';
    tooltip.style.top = y + 'px';
  }
  function hideTip() { tooltip.hidden = true; }

  document.querySelectorAll('input[data-layer]').forEach(function (input) {
    input.addEventListener('change', function () {
      document.getElementById(input.getAttribute('data-layer')).style.display = input.checked ? '' : 'none';
    });
  });

  // The fill of a value: the same rule as the Rust side's Scale::colour.
  function colour(scale, value) {
    if (value === '' || value === null || isNaN(+value)) return cfg.none;
    var above = scale.breaks.filter(function (b) { return +value >= b; }).length;
    return cfg.colours[scale.highIsBad ? above : 3 - above];
  }
  function recolour(key) {
    var scale = cfg.scales[key];
    document.querySelectorAll('path.township').forEach(function (p) {
      p.setAttribute('fill', colour(scale, p.getAttribute('data-' + key)));
    });
    document.getElementById('legend-title').textContent = scale.title;
    var classes = document.getElementById('legend-classes').querySelectorAll('.class');
    scale.labels.forEach(function (label, k) { if (classes[k]) classes[k].textContent = label; });
  }
  var select = document.getElementById('ratio');
  select.addEventListener('change', function () { recolour(select.value); });

  // Sortable columns: text or number ('–' sorts last); the county row stays in the footer.
  var table = document.getElementById('townships');
  table.querySelectorAll('th').forEach(function (th) {
    function sort() {
      var col = +th.getAttribute('data-col');
      var numeric = th.getAttribute('data-numeric') === 'true';
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      table.querySelectorAll('th').forEach(function (o) { o.setAttribute('aria-sort', 'none'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var text = row.cells[col].textContent.trim();
        if (!numeric) return text;
        var v = parseFloat(text);
        return isNaN(v) ? null : v;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (numeric ? x - y : String(x).localeCompare(String(y))) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
  });

  draw();
  window.addEventListener('resize', draw);

  // #selftest: what the browser tests check, written into the page as JSON.
  if (location.hash === '#selftest') {
    window.addEventListener('load', function () {
      var result = { width: window.innerWidth, overflow: document.scrollingElement.scrollWidth - window.innerWidth };
      result.townships = document.querySelectorAll('path.township').length;
      result.labels = Array.prototype.map.call(document.querySelectorAll('text.label'), function (t) { return t.textContent; });
      var first = document.querySelector('path.township');
      var r = first.getBoundingClientRect();
      first.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 }));
      result.tooltip = tooltip.hidden ? null : tooltip.textContent;
      var v = document.querySelector('path.violation');
      if (v) {
        var rv = v.getBoundingClientRect();
        v.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: rv.left + rv.width / 2, clientY: rv.top + rv.height / 2 }));
        result.violationTooltip = tooltip.hidden ? null : tooltip.textContent;
      }
      var mapRect = svg.getBoundingClientRect();
      result.mapVisible = mapRect.top >= 0 && mapRect.bottom <= window.innerHeight && mapRect.right <= window.innerWidth;
      result.cards = getComputedStyle(table.tHead).display === 'none';
      function pointer(type, id, x, y) {
        svg.dispatchEvent(new PointerEvent(type, { bubbles: true, pointerId: id, clientX: x, clientY: y }));
      }
      var cx = mapRect.left + mapRect.width / 2, cy = mapRect.top + mapRect.height / 2;
      var start = svg.getAttribute('viewBox');
      pointer('pointerdown', 1, cx, cy);
      pointer('pointermove', 1, cx + 40, cy + 10);
      pointer('pointerup', 1, cx + 40, cy + 10);
      result.dragged = svg.getAttribute('viewBox') !== start && view.w === full.w;
      pointer('pointerdown', 2, cx - 20, cy);
      pointer('pointerdown', 3, cx + 20, cy);
      pointer('pointermove', 3, cx + 60, cy);
      pointer('pointerup', 2, cx - 20, cy);
      pointer('pointerup', 3, cx + 60, cy);
      result.pinched = view.w < full.w;
      view = { x: full.x, y: full.y, w: full.w, h: full.h };
      draw();
      var before = svg.getAttribute('viewBox');
      svg.dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: -100, clientX: r.left + 5, clientY: r.top + 5 }));
      result.zoomed = svg.getAttribute('viewBox') !== before;
      result.scalebar = scalebar ? scalebar.querySelector('.bar').style.width : null;
      select.value = 'retention';
      select.dispatchEvent(new Event('change'));
      result.fills = {};
      document.querySelectorAll('path.township').forEach(function (p) { result.fills[p.getAttribute('data-code')] = p.getAttribute('fill'); });
      var th = table.querySelector('th[data-col="7"]');
      th.click();
      result.sorted = Array.prototype.map.call(table.tBodies[0].rows, function (row) { return row.cells[7].textContent.trim(); });
      var toggle = document.querySelector('input[data-layer="l-violations"]');
      toggle.checked = false;
      toggle.dispatchEvent(new Event('change'));
      result.violationsHidden = document.getElementById('l-violations').style.display === 'none';
      result.errors = errors;
      result.resources = performance.getEntriesByType('resource').map(function (e) { return e.name; });
      var pre = document.createElement('pre');
      pre.id = 'selftest';
      pre.textContent = JSON.stringify(result);
      document.body.appendChild(pre);
    });
  }
})();
