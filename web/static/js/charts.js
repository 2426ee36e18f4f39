// charts: time-series charts drawn by uPlot (built into the collector from
// npm, loaded on the first page that draws one), and the helpers the pages
// share. Series differ by colour and by dash pattern, and the legend names
// them, so colour is never the only signal.
import { h } from './dom.js';

let loading = null;

export function loadUplot() {
	if (window.uPlot)
		return Promise.resolve(window.uPlot);
	if (!loading) {
		loading = new Promise((resolve, reject) => {
			document.head.append(h('link', { rel: 'stylesheet',
			    href: '/static/vendor/uPlot.min.css' }));
			const s = h('script', { src: '/static/vendor/uPlot.iife.min.js' });
			s.addEventListener('load', () => resolve(window.uPlot));
			s.addEventListener('error', () => {
				loading = null;
				reject(new Error('cannot load /static/vendor/uPlot.iife.min.js'));
			});
			document.head.append(s);
		});
	}
	return loading;
}

const DASHES = [[], [6, 3], [2, 3], [10, 3, 2, 3], [4, 4], [1, 2], [12, 4], [3, 3, 8, 3]];

function css(name) {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function seriesColour(i) {
	return css(`--series-${(i % 8) + 1}`) || '#888';
}

// Line up per-label points on one x axis: groups is a Map label -> Map
// ts(ms) -> value. Returns uPlot data: [xs (s), ys per label] with nulls
// where a label has no point (a gap, never a made-up value).
export function align(groups) {
	const xs = new Set();
	for (const m of groups.values())
		for (const ts of m.keys())
			xs.add(ts);
	const x = [...xs].sort((a, b) => a - b);
	const data = [x.map(t => t / 1000)];
	for (const m of groups.values())
		data.push(x.map(t => (m.has(t) ? m.get(t) : null)));
	return data;
}

// A titled chart that keeps its uPlot between refreshes (setData: no
// flicker; a zoom stays until a double click) and rebuilds it when its
// series change.
export class TimeChart {
	// opts: { title, id, yfmt(v) -> text, yrange: (u, min, max) -> [lo, hi],
	//         xrange: () -> [from, to] (Unix seconds: the range shown, so a
	//         few points do not stretch across the axis), height }
	constructor(parent, opts) {
		this.opts = opts;
		this.target = h('div', { class: 'chart-body' });
		this.empty = h('p', { class: 'muted chart-empty', hidden: true }, 'No data in this range.');
		this.el = h('figure', { class: 'chart', id: opts.id },
		    h('figcaption', null, opts.title), this.empty, this.target);
		parent.append(this.el);
		this.u = null;
		this.sig = '';
		this.zoomed = false;	// dragged to zoom in; a double click zooms out
		this.target.addEventListener('dblclick', () => { this.zoomed = false; }, true);
		this.ro = new ResizeObserver(() => this.resize());
		this.ro.observe(this.el);
	}

	width() {
		return Math.max(240, Math.floor(this.target.clientWidth || this.el.clientWidth || 600));
	}

	resize() {
		if (this.u && Math.abs(this.u.width - this.width()) > 2)
			this.u.setSize({ width: this.width(), height: this.opts.height || 220 });
	}

	// labels: series names; data: [xs, ...ys] as from align()
	set(labels, data) {
		this.labels = labels;
		this.data = data;
		const none = data[0].length === 0;
		this.empty.hidden = !none;
		this.target.hidden = none;
		if (none) {
			if (this.u)
				this.u.destroy();
			this.u = null;
			this.sig = '';
			return;
		}
		const sig = labels.join('\u001f');
		if (this.u && sig === this.sig) {
			this.u.setData(data, !this.zoomed);	// a zoom survives the refresh
			return;
		}
		this.sig = sig;
		this.draw();
	}

	draw() {
		if (this.u)
			this.u.destroy();
		this.u = null;
		this.zoomed = false;
		if (!this.labels || !window.uPlot || this.data[0].length === 0)
			return;
		const o = this.opts, fg = css('--muted') || '#666', grid = css('--grid') || '#ddd';
		const fmt = o.yfmt || (v => String(v));
		const axis = { stroke: fg, grid: { stroke: grid, width: 1 },
			ticks: { stroke: grid, width: 1 } };
		const series = [{ value: (u, v) => (v == null ? '–' : new Date(v * 1000).toLocaleString()) }];
		this.labels.forEach((label, i) => series.push({
			label,
			stroke: seriesColour(i),
			width: 1.5,
			dash: DASHES[i % DASHES.length],
			spanGaps: false,
			value: (u, v) => (v == null ? '–' : fmt(v)),
		}));
		this.u = new window.uPlot({
			width: this.width(),
			height: o.height || 220,
			scales: { x: o.xrange ? { time: true,
				range: (u, min, max) => (this.zoomed ? [min, max] : o.xrange()) } : { time: true },
				y: o.yrange ? { range: o.yrange } : {} },
			axes: [axis, { ...axis, size: 64, values: (u, vals) => vals.map(v => fmt(v)) }],
			series,
			legend: { live: true },
			cursor: { drag: { x: true, y: false } },
			hooks: { setSelect: [(u) => { if (u.select.width > 0) this.zoomed = true; }] },
		}, this.data, this.target);
	}

	restyle() {
		this.draw();
	}

	destroy() {
		this.ro.disconnect();
		if (this.u)
			this.u.destroy();
		this.el.remove();
	}
}
