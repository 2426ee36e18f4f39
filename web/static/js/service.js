// service: the layer view. For each region, the front door next to each
// origin (edge, central), so "the CDN fails while the origins are healthy"
// and "an origin is down while the front door fails over" read at a glance,
// with each layer's availability over time.
import { get, q } from './api.js';
import { align, loadUplot, TimeChart } from './charts.js';
import { h, icon, swap } from './dom.js';
import * as fmt from './fmt.js';
import { link } from './nav.js';

export function key(p) {
	return `service:${p.service}`;
}

function options(p) {
	return { service: p.service || '', range: fmt.RANGES[p.range] ? p.range : '24h' };
}

export function mount(main, params) {
	let o = options(params);
	if (!o.service) {
		swap(main, h('p', { class: 'error' }, 'No service named: open one from the ',
		    h('a', { href: link({}) }, 'overview'), '.'));
		return { async update() {} };
	}
	const head = h('header', { class: 'page-head' });
	const verdicts = h('section', { id: 'verdicts', 'aria-label': 'Per region' });
	const grid = h('div', { class: 'table-wrap' });
	const charts = h('div', { class: 'charts layers' });
	const chartFor = new Map();	// layer -> TimeChart
	const seriesCache = fmt.cache();
	swap(main, head, verdicts, h('section', { 'aria-labelledby': 'layers-h' },
	    h('h2', { id: 'layers-h' }, 'Layers by region'), grid),
	    h('section', { 'aria-labelledby': 'lc-h' }, h('h2', { id: 'lc-h' }, 'Availability by layer'), charts));

	return {
		params(p) {
			o = options(p);
		},
		async update() {
			const m = await get(q('/api/v1/matrix', { n: 20 }));
			const F = Object.fromEntries(m.fields.map((f, i) => [f, i]));
			const checks = m.checks.map((c, i) => ({ ...c, i })).filter(c => c.service === o.service);
			const layers = fmt.LAYERS.filter(l => checks.some(c => (c.layer || 'other') === l));
			const cells = new Map(m.cells.map(c => [`${c[F.check]}/${c[F.region]}`, c]));
			const r = fmt.RANGES[o.range];
			const [series] = await Promise.all([
				seriesCache(`${o.range}/${checks.map(c => c.name).join('\u001f')}`, r.every,
				    () => Promise.all(checks.map(c => get(q('/api/v1/series', { check: c.name,
					from: o.range, step: r.step, by: 'region' }))))),
				loadUplot(),
			]);
			swap(head, headView(o, checks));
			const view = { m, F, checks, layers, cells };
			swap(verdicts, verdictView(view));
			swap(grid, layerTable(view));
			drawCharts(view, series);
		},
		restyle() {
			for (const c of chartFor.values())
				c.restyle();
		},
		destroy() {
			for (const c of chartFor.values())
				c.destroy();
		},
	};

	// one chart per layer, a line per region: good / total summed over the
	// layer's checks at each step
	function drawCharts(v, series) {
		for (const [l, c] of chartFor)
			if (!v.layers.includes(l)) {
				c.destroy();
				chartFor.delete(l);
			}
		for (const l of v.layers) {
			if (!chartFor.has(l))
				chartFor.set(l, new TimeChart(charts, { id: `chart-${l}`, title: fmt.layerName(l),
				    height: 180, yfmt: x => `${+(x * 100).toFixed(2)}%`,
				    xrange: () => [(Date.now() - fmt.RANGES[o.range].ms) / 1000, Date.now() / 1000],
				    yrange: (u, lo) => { const min = Math.min(lo ?? 0.99, 0.99);
					return [Math.max(0, min - (1 - min) * 0.05), 1 + (1 - min) * 0.025]; } }));
			const sums = new Map();
			v.checks.forEach((c, k) => {
				if ((c.layer || 'other') !== l)
					return;
				for (const p of series[k].points || []) {
					const reg = p.region || '(no region)';
					if (!sums.has(reg))
						sums.set(reg, new Map());
					const s = sums.get(reg).get(p.ts) || [0, 0];
					sums.get(reg).set(p.ts, [s[0] + p.good, s[1] + p.total]);
				}
			});
			const regs = [...sums.keys()].sort();
			const groups = new Map(regs.map(reg => [reg, new Map([...sums.get(reg)]
			    .map(([ts, [g, t]]) => [ts, t ? g / t : null]))]));
			chartFor.get(l).set(regs, align(groups));
		}
		// keep the charts in delivery order
		for (const l of v.layers)
			charts.append(chartFor.get(l).el);
	}
}

function headView(o, checks) {
	const base = { page: 'service', service: o.service };
	return [
		h('p', { class: 'crumbs' }, h('a', { href: link({}) }, 'Overview'), ' › service'),
		h('h1', null, `${o.service} · layers`),
		checks.length ? null : h('p', { class: 'error' }, 'No checks of this service yet.'),
		h('div', { class: 'choice', role: 'group', 'aria-label': 'Range' },
		    h('span', { class: 'muted' }, 'Range:'),
		    Object.keys(fmt.RANGES).map(r => h('a', { href: link({ ...base, range: r }),
			class: r === o.range ? 'on' : null, 'aria-current': r === o.range ? 'true' : null }, r))),
	];
}

// The state of one layer in one region: every check of the layer there.
function layerState(v, layer, ri) {
	const list = v.checks.filter(c => (c.layer || 'other') === layer).map(c => ({
		check: c, cell: v.cells.get(`${c.i}/${ri}`) })).filter(x => x.cell);
	// an inconclusive result (the agent's own network was down) is no failure
	const failing = list.filter(x => !x.cell[v.F.ok] && !x.cell[v.F.inconclusive]);
	return { list, failing, state: list.length === 0 ? 'none' : failing.length ? 'fail' : 'ok' };
}

// What the layers say together, per region, in words.
function verdict(states) {
	const fd = states.get('front_door');
	const origins = [...states.entries()].filter(([l, s]) => l !== 'front_door' && l !== 'other' &&
	    s.state !== 'none');
	const down = origins.filter(([, s]) => s.state === 'fail').map(([l]) => fmt.layerName(l));
	const fdFail = fd && fd.state === 'fail', fdOk = fd && fd.state === 'ok';
	if (fdFail && origins.length && down.length === 0)
		return ['fail', 'front door failing while the origins are healthy'];
	if (fdFail && down.length)
		return ['fail', `front door failing, and origin ${down.join(' and ')} down`];
	if (fdFail)
		return ['fail', 'front door failing'];
	if (fdOk && down.length)
		return ['warn', `origin ${down.join(' and ')} down; the front door still serves (failing over)`];
	if (down.length)
		return ['fail', `origin ${down.join(' and ')} down`];
	if ([...states.values()].every(s => s.state === 'none'))
		return ['none', 'no results'];
	return ['ok', 'every layer healthy'];
}

function verdictView(v) {
	return h('ul', { class: 'verdicts' }, v.m.regions.map((region, ri) => {
		const states = new Map(v.layers.map(l => [l, layerState(v, l, ri)]));
		const [st, text] = verdict(states);
		return h('li', { class: `chip s-${st}`, dataset: { region, verdict: st } },
		    icon(st, st), ' ', h('strong', null, region), ` ${text}`);
	}));
}

function layerTable(v) {
	if (v.layers.length === 0)
		return h('p', { class: 'muted' }, 'No results for this service.');
	return h('table', { class: 'matrix layers-table', id: 'layers' },
	    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Region'),
		v.layers.map(l => h('th', { scope: 'col' }, fmt.layerName(l))))),
	    h('tbody', null, v.m.regions.map((region, ri) => h('tr', null,
		h('th', { scope: 'row' }, region),
		v.layers.map(l => {
			const s = layerState(v, l, ri);
			return h('td', { class: `cell s-${s.state}`, dataset: { layer: l, region, state: s.state } },
			    s.list.length === 0 ? [icon('none', 'no results'), ' no results'] :
				h('ul', { class: 'layer-checks' }, s.list.map(({ check, cell }) => {
					const ok = cell[v.F.ok];
					return h('li', null, icon(ok ? 'ok' : 'fail', ok ? 'passed' : 'failed'), ' ',
					    h('a', { href: link({ page: 'check', check: check.name }) }, check.name),
					    h('span', { class: 'muted' }, ok ? ` ${fmt.ms(cell[v.F.total_ms])}` :
						` ${cell[v.F.error_class]} · ${fmt.age(cell[v.F.age_ms])} ago`));
				}).slice(0, 12)));
		})))));
}
