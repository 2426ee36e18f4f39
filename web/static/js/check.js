// check: one check over time. Availability and latency percentiles (one
// line per region, or merged), the timing phases of recent runs per region,
// recent failures with their error class and message, certificate expiry.
import { get, q } from './api.js';
import { align, loadUplot, TimeChart } from './charts.js';
import { h, icon, swap } from './dom.js';
import * as fmt from './fmt.js';
import { link } from './nav.js';

const PHASES = [
	['dns_us', 'DNS'], ['connect_us', 'connect'], ['tls_us', 'TLS'],
	['processing_us', 'processing'], ['transfer_us', 'transfer'],
];
const PCTS = ['p50', 'p90', 'p95', 'p99'];
const RUNS = 20;	// recent runs per region in the phase breakdown

export function key(p) {
	return `check:${p.check}`;
}

function options(p) {
	return {
		check: p.check || '',
		range: fmt.RANGES[p.range] ? p.range : '24h',
		by: p.by === 'merged' ? 'merged' : 'region',
		pct: PCTS.includes(p.pct) ? p.pct : 'p95',
	};
}

// A row of links that set one URL parameter (the current one marked).
function choice(label, name, values, cur, base) {
	return h('div', { class: 'choice', role: 'group', 'aria-label': label },
	    h('span', { class: 'muted' }, `${label}:`),
	    values.map(([v, text]) => h('a', { href: link({ ...base, [name]: v }),
		class: v === cur ? 'on' : null, 'aria-current': v === cur ? 'true' : null }, text)));
}

export function mount(main, params) {
	let o = options(params);
	if (!o.check) {
		swap(main, h('p', { class: 'error' }, 'No check named: open one from the ',
		    h('a', { href: link({}) }, 'overview'), '.'));
		return { async update() {} };
	}
	const head = h('header', { class: 'page-head' });
	const controls = h('div', { class: 'controls wrap' });
	const charts = h('div', { class: 'charts' });
	const xrange = () => [(Date.now() - fmt.RANGES[o.range].ms) / 1000, Date.now() / 1000];
	const avail = new TimeChart(charts, { id: 'chart-availability', title: 'Availability',
	    yfmt: v => `${+(v * 100).toFixed(3)}%`, yrange: availRange, xrange });
	const lat = new TimeChart(charts, { id: 'chart-latency', title: 'Latency',
	    yfmt: v => fmt.ms(v), yrange: (u, lo, hi) => [0, hi ? hi * 1.1 : 1], xrange });
	const phases = h('section', { id: 'phases', 'aria-labelledby': 'phases-h' });
	const failures = h('section', { id: 'failures', 'aria-labelledby': 'failures-h' });
	const seriesCache = fmt.cache();
	swap(main, head, controls, charts, h('div', { class: 'two' }, phases, failures));

	function drawControls() {
		const base = { page: 'check', check: o.check, range: o.range, by: o.by, pct: o.pct };
		swap(controls,
		    choice('Range', 'range', Object.keys(fmt.RANGES).map(r => [r, r]), o.range, base),
		    choice('Lines', 'by', [['region', 'per region'], ['merged', 'merged']], o.by, base),
		    o.by === 'region' ? choice('Latency', 'pct', PCTS.map(p => [p, p]), o.pct, base) : null);
		lat.el.querySelector('figcaption').textContent = o.by === 'region' ?
		    `Latency ${o.pct} (passed runs)` : 'Latency p50 · p90 · p95 · p99 (passed runs)';
	}
	drawControls();

	return {
		params(p) {
			o = options(p);
			drawControls();
		},
		async update() {
			const r = fmt.RANGES[o.range];
			const [series, recent, fails, cache] = await Promise.all([
				seriesCache(`${o.range}/${o.by}`, r.every, () => get(q('/api/v1/series', {
				    check: o.check, from: o.range, step: r.step,
				    by: o.by === 'region' ? 'region' : null }))),
				get(q('/api/v1/results', { check: o.check, from: '7d', limit: 100 })),
				get(q('/api/v1/results', { check: o.check, ok: 'false', from: o.range, limit: 25 })),
				get(q('/api/v1/cache', { check: o.check, from: o.range })).catch(e => ({ error: e.message })),
				loadUplot(),
			]);
			swap(head, headView(o.check, recent), rangeView(o.range, recent, series, cache));
			drawCharts(series);
			swap(phases, h('h2', { id: 'phases-h' }, 'Where the time goes'),
			    phaseView(recent.results));
			swap(failures, h('h2', { id: 'failures-h' }, `Recent failures (${o.range})`),
			    failureView(fails.results));
		},
		restyle() {
			avail.restyle();
			lat.restyle();
		},
		destroy() {
			avail.destroy();
			lat.destroy();
		},
	};

	function drawCharts(series) {
		const pts = series.points || [];
		if (o.by === 'region') {
			const a = new Map(), l = new Map();
			for (const p of pts) {
				const reg = p.region || '(no region)';
				if (!a.has(reg)) {
					a.set(reg, new Map());
					l.set(reg, new Map());
				}
				a.get(reg).set(p.ts, p.availability);
				if (p[`${o.pct}_ms`] !== undefined)
					l.get(reg).set(p.ts, p[`${o.pct}_ms`]);
			}
			const regs = [...a.keys()].sort();
			const sorted = m => new Map(regs.map(k => [k, m.get(k)]));
			avail.set(regs, align(sorted(a)));
			lat.set(regs, align(sorted(l)));
		} else {
			const a = new Map([['all regions', new Map(pts.map(p => [p.ts, p.availability]))]]);
			const l = new Map(PCTS.map(k => [k, new Map(pts.filter(p => p[`${k}_ms`] !== undefined)
			    .map(p => [p.ts, p[`${k}_ms`]]))]));
			avail.set(['all regions'], align(a));
			lat.set(PCTS, align(l));
		}
	}
}

function availRange(u, lo, hi) {
	const min = lo === null || lo === undefined ? 0.99 : Math.min(lo, 0.99);
	const pad = (1 - min) * 0.05;
	return [Math.max(0, min - pad), 1 + pad / 2];
}

// Newest result of each region (results come newest first).
function latestByRegion(results) {
	const m = new Map();
	for (const r of results)
		if (!m.has(r.region))
			m.set(r.region, r);
	return [...m.values()].sort((a, b) => String(a.region).localeCompare(String(b.region)));
}

function headView(name, recent) {
	const rs = recent.results || [], now = recent.now;
	const any = rs[0];
	const latest = latestByRegion(rs);
	const certs = latest.map(r => r.cert_not_after).filter(v => typeof v === 'number' && v > 0);
	let cert;
	if (!any) {
		cert = null;
	} else if (certs.length === 0) {
		cert = h('p', { id: 'cert', class: 'muted' }, 'No TLS certificate seen (plain HTTP, or not read).');
	} else {
		const exp = Math.min(...certs) * 1000, days = Math.floor((exp - now) / 86400e3);
		const st = days < 0 ? 'fail' : days < 14 ? 'warn' : 'ok';
		cert = h('p', { id: 'cert', class: `s-${st}`, dataset: { days } }, icon(st, st), ' ',
		    days < 0 ? `Certificate expired ${-days} days ago` :
			`Certificate expires in ${fmt.count(days, 'day')}`,
		    h('span', { class: 'muted' }, ` (${new Date(exp).toISOString().slice(0, 10)})`));
	}
	return [
		h('p', { class: 'crumbs' }, h('a', { href: link({}) }, 'Overview'), ' › check'),
		h('h1', null, name),
		any ? h('p', { class: 'muted' }, [any.kind, any.service && `service ${any.service}`,
		    any.layer && fmt.layerName(any.layer), any.provider].filter(Boolean).join(' · '),
		    any.service ? [' · ', h('a', { href: link({ page: 'service', service: any.service }) },
			'layer view')] : null) :
		    h('p', { class: 'muted' }, 'No results in the last 7 days.'),
		any && any.url ? h('p', { class: 'url' }, h('code', null, any.url)) : null,
		h('ul', { class: 'chips', id: 'check-status' }, latest.map(r => h('li', {
		    class: `chip s-${r.ok ? 'ok' : 'fail'}`, dataset: { region: r.region, state: r.ok ? 'ok' : 'fail' } },
		    icon(r.ok ? 'ok' : 'fail', r.ok ? 'passed' : 'failed'), ' ', h('strong', null, r.region),
		    ` ${r.ok ? 'passed' : `failed: ${r.error_class}`} ${fmt.age(now - r.ts)} ago`))),
		cert,
	];
}

// Availability over the range and, beside it, the cache-hit ratio (front
// doors, or any check whose answers carried a cache status), in words.
function rangeView(range, recent, series, cache) {
	const any = (recent.results || [])[0];
	let good = 0, total = 0;
	for (const p of series.points || []) {
		good += p.good || 0;
		total += p.total || 0;
	}
	const row = cache && !cache.error ? (cache.rows || [])[0] : null;
	const ratio = row ? row.hit_ratio : null;
	const front = any && any.layer === 'front_door';
	const showCache = front || (row && row.lookups > 0);
	return h('dl', { class: 'nums', id: 'check-summary' },
	    h('div', null, h('dt', null, `availability (${range})`),
		h('dd', { class: 'availability' }, fmt.pct(total ? good / total : null))),
	    showCache ? h('div', null, h('dt', null, `cache hit ratio (${range})`),
		h('dd', { id: 'cache-hit', dataset: { hitRatio: ratio ?? '', hits: row ? row.hits : '',
		    lookups: row ? row.lookups : '', from: cache.from ?? '', to: cache.to ?? '' },
		    title: cache.error ? cache.error : row && ratio !== null ?
			`${row.hits} of ${row.lookups} answers with a cache status came from the cache` :
			'no answer had a cache status' },
		    cache.error ? 'unavailable' : fmt.pct(ratio, 1))) : null);
}

function phaseView(results) {
	const per = new Map();
	for (const r of results || []) {
		const list = per.get(r.region) || [];
		if (list.length < RUNS)
			list.push(r);
		per.set(r.region, list);
	}
	if (per.size === 0)
		return h('p', { class: 'muted' }, 'No recent runs.');
	const rows = [...per.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0])))
	    .map(([region, list]) => {
		const avg = PHASES.map(([k]) => list.reduce((s, r) => s + (r[k] || 0), 0) / list.length / 1000);
		return { region, n: list.length, avg, total: avg.reduce((a, b) => a + b, 0) };
	    });
	const max = Math.max(...rows.map(r => r.total), 0.001);
	const legend = h('ul', { class: 'legend' }, PHASES.map(([k, name], i) =>
	    h('li', null, h('span', { class: `swatch ph${i}`, 'aria-hidden': 'true' }), name)));
	const bars = h('div', { class: 'phases' }, rows.map(r => h('div', { class: 'phase-row',
	    dataset: { region: r.region } },
	    h('span', { class: 'phase-label' }, r.region),
	    h('span', { class: 'phase-bar', role: 'img', 'aria-label': `${r.region}: ` +
		PHASES.map(([, n], i) => `${n} ${fmt.ms(r.avg[i])}`).join(', ') },
		r.avg.map((v, i) => h('span', { class: `seg ph${i}`, title: `${PHASES[i][1]} ${fmt.ms(v)}`,
		    style: { width: `${(v / max * 100).toFixed(2)}%` } }))),
	    h('span', { class: 'num' }, fmt.ms(r.total)))));
	const table = h('table', { class: 'numbers small' },
	    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'region'),
		PHASES.map(([, n]) => h('th', { scope: 'col', class: 'num' }, n)),
		h('th', { scope: 'col', class: 'num' }, 'runs'))),
	    h('tbody', null, rows.map(r => h('tr', null, h('th', { scope: 'row' }, r.region),
		r.avg.map(v => h('td', { class: 'num' }, fmt.ms(v))),
		h('td', { class: 'num' }, r.n)))));
	return [h('p', { class: 'muted small' }, `Average of the last ${RUNS} runs (at most) per region.`),
		legend, bars, table];
}

function failureView(results) {
	if (!results || results.length === 0)
		return h('p', { class: 's-ok' }, icon('ok', 'none'), ' No failures in this range.');
	return h('div', { class: 'table-wrap' }, h('table', { class: 'numbers failures' },
	    h('thead', null, h('tr', null, ['time', 'region', 'agent', 'class', 'status', 'message']
		.map(t => h('th', { scope: 'col' }, t)))),
	    h('tbody', null, results.map(r => h('tr', null,
		h('td', { class: 'nowrap' }, fmt.time(r.ts)), h('td', null, r.region),
		h('td', null, r.agent),
		h('td', null, h('span', { class: 'badge s-fail' }, icon('fail', 'failed'), ` ${r.error_class}`)),
		h('td', { class: 'num' }, r.status ?? '–'),
		h('td', { class: 'msg' }, r.error || ''))))));
}
