// slo: one SLO. Its error budget over the window (burn-down), its burn
// rates per alert window against their thresholds, and its breakdown by
// region, layer and provider.
import { get, q } from './api.js';
import { loadUplot, TimeChart } from './charts.js';
import { h, icon, swap } from './dom.js';
import * as fmt from './fmt.js';
import { link } from './nav.js';
import { budgetBar, burnMeter } from './overview.js';

const WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d', 'window'];
const BURNDOWN_EVERY = 60e3;	// the burn-down reads the whole window: not every refresh

export function key(p) {
	return `slo:${p.slo}`;
}

export function mount(main, params) {
	const name = params.slo || '';
	if (!name) {
		swap(main, h('p', { class: 'error' }, 'No SLO named: open one from the ',
		    h('a', { href: link({}) }, 'overview'), '.'));
		return { async update() {} };
	}
	const head = h('header', { class: 'page-head' });
	const charts = h('div', { class: 'charts' });
	let burndown = null, fetched = 0;
	const chart = new TimeChart(charts, { id: 'chart-burndown',
	    title: 'Error budget left over the window',
	    xrange: () => [burndown.from / 1000, burndown.evaluated_at / 1000],
	    yfmt: v => `${+(v * 100).toFixed(1)}%`,
	    yrange: (u, lo, hi) => [Math.min(lo ?? 0, 0) - 0.05, Math.max(hi ?? 1, 1) + 0.05] });
	const rates = h('section', { id: 'burn-rates', 'aria-labelledby': 'rates-h' });
	const by = h('section', { id: 'breakdown', 'aria-labelledby': 'by-h' });
	swap(main, head, charts, rates, by);

	return {
		async update() {
			const now = Date.now();
			const want = !burndown || now - fetched > BURNDOWN_EVERY;
			const [slo, bd] = await Promise.all([
				get(`/api/v1/slos/${encodeURIComponent(name)}`),
				want ? get(q('/api/v1/burndown', { slo: name })) : burndown,
				loadUplot(),
			]);
			if (want) {
				burndown = bd;
				fetched = now;
			}
			swap(head, headView(slo));
			drawBurndown(chart, burndown);
			swap(rates, h('h2', { id: 'rates-h' }, 'Burn rates'), ratesView(slo));
			swap(by, h('h2', { id: 'by-h' }, 'Breakdown'), breakdownView(slo));
		},
		restyle() {
			chart.restyle();
		},
		destroy() {
			chart.destroy();
		},
	};
}

function selectorText(sel) {
	const parts = Object.entries(sel || {}).map(([k, v]) => `${k} = ${v}`);
	return parts.length ? parts.join(', ') : 'every result';
}

function headView(s) {
	const bad = s.total - s.good;
	return [
		h('p', { class: 'crumbs' }, h('a', { href: link({}) }, 'Overview'), ' › SLO'),
		h('h1', null, s.name),
		h('p', { class: 'muted' }, `${s.sli === 'latency' ? `latency ≤ ${fmt.ms(s.threshold_ms)}` :
		    'availability'} · objective ${fmt.objective(s.objective)} over ${s.window} · ` +
		    `selector: ${selectorText(s.selector)}`),
		h('dl', { class: 'nums big', id: 'slo-numbers', dataset: { evaluatedAt: s.evaluated_at } },
		    h('div', null, h('dt', null, 'availability'), h('dd', { class: 'availability' },
			fmt.pct(s.availability))),
		    h('div', null, h('dt', null, 'budget left'), h('dd', { class: 'budget' },
			fmt.budget(s.budget_remaining)), budgetBar(s.budget_remaining)),
		    h('div', null, h('dt', null, 'bad events'), h('dd', null,
			`${bad} of ${s.total} (budget ${+s.error_budget.toFixed(2)})`)),
		    s.latency ? h('div', null, h('dt', null, 'latency p50 · p95 · p99'), h('dd', null,
			`${fmt.ms(s.latency.p50_ms)} · ${fmt.ms(s.latency.p95_ms)} · ${fmt.ms(s.latency.p99_ms)}`)) : null),
	];
}

// Budget left after each step, and where a steady burn that spends the
// budget exactly over the window would be.
function drawBurndown(chart, bd) {
	const xs = [bd.from / 1000], left = [1], steady = [1];
	for (const p of bd.points) {
		xs.push(p.to / 1000);
		left.push(p.budget_remaining);
		steady.push(1 - (p.to - bd.from) / bd.window_ms);
	}
	if (bd.total === 0)
		chart.set(['budget left'], [[]]);
	else
		chart.set(['budget left', 'steady burn'], [xs, left, steady]);
}

function ratesView(s) {
	const alerts = h('table', { class: 'numbers', id: 'alert-table' },
	    h('thead', null, h('tr', null, ['alert', 'long window', 'short window', 'state', 'failures to trigger']
		.map(t => h('th', { scope: 'col' }, t)))),
	    h('tbody', null, (s.alerts || []).map(a => h('tr', { class: a.firing ? 'firing' : '' },
		h('th', { scope: 'row' }, `${a.severity}`, h('span', { class: 'muted' }, ` (> ${a.factor}×)`)),
		h('td', null, burnMeter(a.burn_long, a.factor, a.long), ` ${a.long} ${fmt.burn(a.burn_long)}`),
		h('td', null, burnMeter(a.burn_short, a.factor, a.short), ` ${a.short} ${fmt.burn(a.burn_short)}`),
		h('td', null, a.firing ? h('strong', { class: 's-fail' }, icon('fail', 'firing'), ' firing') :
		    h('span', { class: 's-ok' }, icon('ok', 'quiet'), ' quiet')),
		h('td', { class: 'num' }, a.failures_to_trigger === null ? 'never' : a.failures_to_trigger)))));
	const windows = h('table', { class: 'numbers small', id: 'window-table' },
	    h('thead', null, h('tr', null, WINDOWS.map(w => h('th', { scope: 'col', class: 'num' },
		w === 'window' ? s.window : w)))),
	    h('tbody', null, h('tr', null, WINDOWS.map(w => h('td', { class: 'num' },
		fmt.burn(s.burn_rates ? s.burn_rates[w] : null))))));
	return [h('p', { class: 'muted small' }, 'A burn rate of 1× spends the budget exactly over the ' +
	    'window. An alert fires when both its windows burn faster than its threshold.'),
		h('div', { class: 'table-wrap' }, alerts), h('div', { class: 'table-wrap' }, windows)];
}

function breakdownView(s) {
	const dims = ['region', 'layer', 'provider'];
	return h('div', { class: 'breakdowns' }, dims.map(d => {
		const rows = (s.by && s.by[d]) || [];
		return h('div', { class: 'table-wrap' }, h('table', { class: 'numbers', id: `by-${d}` },
		    h('caption', null, `by ${d}`),
		    h('thead', null, h('tr', null, [d, 'availability', 'good / total', 'budget left',
			'burn 1h', 'burn 1d'].map(t => h('th', { scope: 'col' }, t)))),
		    h('tbody', null, rows.length === 0 ? h('tr', null, h('td', { colspan: 6, class: 'muted' },
			'no data')) : rows.map(g => h('tr', { dataset: { key: g.key } },
			h('th', { scope: 'row' }, d === 'layer' ? fmt.layerName(g.key) : (g.key || '(none)')),
			h('td', { class: 'num' }, fmt.pct(g.availability)),
			h('td', { class: 'num' }, `${g.good} / ${g.total}`),
			h('td', null, budgetBar(g.budget_remaining), ` ${fmt.budget(g.budget_remaining)}`),
			h('td', { class: 'num' }, fmt.burn(g.burn_rates['1h'])),
			h('td', { class: 'num' }, fmt.burn(g.burn_rates['1d'])))))));
	}));
}
