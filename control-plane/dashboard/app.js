// Sluice usage dashboard: plain browser JavaScript, no build step. Reads GET /v1/usage and
// GET /v1/usage/burn (same origin) with the admin token and draws inline SVG charts.
// Page URL options: ?from=<ms|ISO>&to=<ms|ISO> (fixed range), #token=<admin token>.
(() => {
  const COLORS = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4b5563'];
  const $ = (id) => document.getElementById(id);
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, text) {
    const node = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Display only: amounts arrive as exact decimal strings; the page rounds them for reading.
  const usd = (s) => `$${Number(s).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const usdMicros = (m) => usd(String(m / 1e6));
  const int = (n) => Number(n).toLocaleString('en-US');
  const pct = (x) => `${(x * 100).toFixed(1)}%`;

  function token() {
    const fromHash = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
    if (fromHash) {
      const t = decodeURIComponent(fromHash[1]);
      localStorage.setItem('sluice.adminToken', t);
      return t;
    }
    return $('token').value || localStorage.getItem('sluice.adminToken') || '';
  }

  function range() {
    const q = new URLSearchParams(location.search);
    if (q.get('from') && q.get('to')) {
      const parse = (v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v));
      return { from: parse(q.get('from')), to: parse(q.get('to')) };
    }
    const to = Date.now();
    return { from: to - Number($('range').value), to };
  }

  function granularityFor(span) {
    if (span <= 3 * 3600e3) return 'minute';
    if (span <= 3 * 86400e3) return 'hour';
    return 'day';
  }

  async function api(path, params) {
    const res = await fetch(`${path}?${new URLSearchParams(params)}`, {
      headers: { authorization: `Bearer ${token()}` },
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body?.error?.message || `${path} answered ${res.status}`);
    return body;
  }

  function renderTotals(t, r) {
    $('total-spend').textContent = usd(t.cost_usd);
    $('total-spend').dataset.exact = t.cost_usd;
    $('total-range').textContent =
      `${new Date(r.from).toISOString().slice(0, 16)} → ${new Date(r.to).toISOString().slice(0, 16)} UTC`;
    $('total-requests').textContent = int(t.requests);
    $('total-errors').textContent = `${int(t.errors)} errors · ${int(t.rejected)} rejected`;
    $('cache-hit-rate').textContent = pct(t.cache_hit_rate);
    $('cache-counts').textContent = `${int(t.cache_hits)} hits / ${int(t.cache_hits + t.cache_misses)} lookups`;
    $('cache-savings').textContent = usd(t.saved_usd);
    $('cache-savings').dataset.exact = t.saved_usd;
  }

  /** Stacked bars: one bar per bucket, one segment per group value (top 7 + "other"). */
  function renderStacked(container, result, groupKey, r, gran) {
    container.replaceChildren();
    const step = { minute: 60e3, hour: 3600e3, day: 86400e3 }[gran];
    const totalsByGroup = new Map();
    for (const row of result.rows) {
      const g = row.group[groupKey] || '(none)';
      totalsByGroup.set(g, (totalsByGroup.get(g) || 0) + row.cost_micros);
    }
    const ranked = [...totalsByGroup.entries()].sort((a, b) => b[1] - a[1]).map(([g]) => g);
    const shown = ranked.slice(0, 7);
    const colorOf = (g) => (shown.includes(g) ? COLORS[shown.indexOf(g)] : COLORS[7]);
    const start = Math.floor(r.from / step) * step;
    const n = Math.max(1, Math.ceil((r.to - start) / step));
    const buckets = Array.from({ length: n }, () => new Map());
    for (const row of result.rows) {
      const i = Math.floor((row.bucket - start) / step);
      if (i < 0 || i >= n) continue;
      const g = shown.includes(row.group[groupKey] || '(none)') ? row.group[groupKey] || '(none)' : 'other';
      buckets[i].set(g, (buckets[i].get(g) || 0) + row.cost_micros);
    }
    const max = Math.max(1, ...buckets.map((b) => [...b.values()].reduce((a, v) => a + v, 0)));
    if (result.rows.length === 0) {
      container.append(el('p', { class: 'empty' }, 'No spend in this range.'));
      return;
    }
    const W = 900;
    const H = 220;
    const padL = 64;
    const padB = 22;
    const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `spend by ${groupKey}` });
    for (let k = 0; k <= 4; k++) {
      const y = H - padB - ((H - padB - 8) * k) / 4;
      svg.append(el('svg:line', { x1: padL, x2: W, y1: y, y2: y, stroke: '#e3e6ee' }));
      svg.append(
        el(
          'svg:text',
          { x: padL - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#687086' },
          usdMicros((max * k) / 4),
        ),
      );
    }
    const bw = (W - padL) / n;
    buckets.forEach((b, i) => {
      let y = H - padB;
      for (const g of [...shown, 'other']) {
        const v = b.get(g);
        if (!v) continue;
        const h = ((H - padB - 8) * v) / max;
        y -= h;
        const rect = el('svg:rect', {
          x: padL + i * bw + bw * 0.1,
          y,
          width: Math.max(1, bw * 0.8),
          height: Math.max(0.5, h),
          fill: g === 'other' ? COLORS[7] : colorOf(g),
        });
        rect.append(el('svg:title', {}, `${g}: ${usdMicros(v)}`));
        svg.append(rect);
      }
    });
    const labels = Math.min(n, 8);
    for (let k = 0; k < labels; k++) {
      const i = Math.floor((k * n) / labels);
      const d = new Date(start + i * step).toISOString();
      const text = gran === 'day' ? d.slice(5, 10) : d.slice(11, 16);
      svg.append(
        el(
          'svg:text',
          { x: padL + i * bw + bw / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 11, fill: '#687086' },
          text,
        ),
      );
    }
    container.append(svg);
    const legend = el('div', { class: 'legend' });
    for (const g of shown) {
      const item = el('span', { 'data-group': g });
      item.append(el('i', { style: `background:${colorOf(g)}` }), `${g} ${usdMicros(totalsByGroup.get(g))}`);
      legend.append(item);
    }
    if (ranked.length > shown.length) {
      const item = el('span');
      item.append(el('i', { style: `background:${COLORS[7]}` }), 'other');
      legend.append(item);
    }
    container.append(legend);
  }

  function renderTopKeys(result) {
    const body = $('top-keys').querySelector('tbody');
    body.replaceChildren();
    for (const row of result.rows) {
      const tr = el('tr', { 'data-key': row.group.key });
      tr.append(
        el('td', {}, row.group.key || '(unauthenticated)'),
        el('td', {}, row.group.team),
        el('td', { class: 'num' }, int(row.requests)),
        el('td', { class: 'num' }, int(row.prompt_tokens + row.output_tokens)),
        el('td', { class: 'num', 'data-exact': row.cost_usd }, usd(row.cost_usd)),
      );
      body.append(tr);
    }
  }

  function renderBudgets(burn) {
    const body = $('budgets').querySelector('tbody');
    body.replaceChildren();
    for (const n of burn.nodes) {
      const tr = el('tr', { 'data-node': n.node });
      const used = n.budget_micros ? n.spent_micros / n.budget_micros : 0;
      const projected = n.budget_micros ? n.projected_micros / n.budget_micros : 0;
      const bar = el('div', { class: `bar${used >= 1 ? ' over' : used >= 0.8 ? ' warn' : ''}` });
      bar.append(
        el('b', { style: `width:${Math.min(100, used * 100)}%` }),
        el('u', { style: `left:${Math.min(100, projected * 100)}%` }),
      );
      const usedCell = el('td', { title: `projected ${pct(projected)} of budget at period end` });
      usedCell.append(bar, ` ${n.spent_percent === null ? '–' : `${n.spent_percent}%`}`);
      tr.append(
        el('td', {}, `${n.node} (${n.period})`),
        el('td', { class: 'num spent' }, usdMicros(n.spent_micros)),
        el('td', { class: 'num' }, n.budget_micros === null ? '–' : usdMicros(n.budget_micros)),
        usedCell,
        el('td', { class: 'num' }, usdMicros(n.burn_rate_micros_per_hour)),
        el('td', { class: `num projected${projected > 1 ? ' over' : ''}` }, usdMicros(n.projected_micros)),
      );
      body.append(tr);
    }
    if (burn.nodes.length === 0) {
      const tr = el('tr');
      tr.append(el('td', { colspan: 6 }, 'No budgets configured.'));
      body.append(tr);
    }
  }

  async function load() {
    const status = $('status');
    status.className = '';
    status.textContent = 'Loading…';
    const r = range();
    const gran = granularityFor(r.to - r.from);
    const base = { from: r.from, to: r.to };
    try {
      const [totals, byTeam, byModel, keys, burn] = await Promise.all([
        api('/v1/usage', base),
        api('/v1/usage', { ...base, group_by: 'team', granularity: gran }),
        api('/v1/usage', { ...base, group_by: 'model', granularity: gran }),
        api('/v1/usage', { ...base, group_by: 'key,team', limit: 10 }),
        api('/v1/usage/burn', {}),
      ]);
      renderTotals(totals.totals, r);
      renderStacked($('chart-team'), byTeam, 'team', r, gran);
      renderStacked($('chart-model'), byModel, 'model', r, gran);
      renderTopKeys(keys);
      renderBudgets(burn);
      status.textContent = `Source: ${totals.source} · ${gran} buckets · updated ${new Date().toLocaleTimeString()}`;
      document.body.dataset.loaded = 'true';
    } catch (err) {
      status.className = 'error';
      status.textContent = `Could not load usage: ${err.message}`;
      document.body.dataset.loaded = 'error';
    }
  }

  $('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    if ($('token').value) localStorage.setItem('sluice.adminToken', $('token').value);
    load();
  });
  load();
})();
