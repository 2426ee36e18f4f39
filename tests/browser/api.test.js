'use strict';
// The collector side of the dashboard, without a browser: the embedded
// static files (no token, ETag, CSP) and the endpoints the pages read
// (/api/v1/matrix, /api/v1/results, /api/v1/burndown), filled with signed
// batches of known content so every number can be checked exactly.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, it } = require('node:test');
const { Fleet, ingest, record, waitFor } = require('./fleet.js');

const KEY = crypto.randomBytes(16).toString('hex');
const TOKEN = crypto.randomBytes(12).toString('hex');
const HOSTILE = '<img src=x onerror=alert(1)>';
const NOW = Date.now();

describe('dashboard API and static files', () => {
	const fleet = new Fleet('dash-api');
	let base;
	const api = async (path, { token = TOKEN, status = 200 } = {}) => {
		const r = await fetch(base + path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
		const body = await r.text();
		assert.equal(r.status, status, `${path}: ${r.status} ${body}`);
		return r.headers.get('content-type') && r.headers.get('content-type').startsWith('application/json') ?
		    JSON.parse(body) : body;
	};

	before(async () => {
		const c = await fleet.collector({
			read_token: TOKEN,
			agents: [{ id: 'ua', key: KEY }, { id: 'ub', key: KEY }, { id: 'ea', key: KEY }],
			checks: [
				{ name: 'configured-only', service: 'zeta', layer: 'edge', url: 'http://127.0.0.1:9/',
				    interval: '30s' },
			],
			slos: [
				{ name: 'web-avail', objective: 99, selector: { service: 'web' } },
				{ name: 'web-fd-latency', objective: 90, sli: 'latency', threshold: '100ms',
				    selector: { service: 'web', layer: 'front_door' } },
				{ name: 'web-3d', objective: 99.9, window: '3d', selector: { service: 'web' } },
			],
		});
		base = c.url;
		// ua (us-east) and ub (us-east, a second agent) and ea (eu-west);
		// 25 runs of each check, 30 s apart, the newest first in seq order
		const plan = [
			['ua', 'us-east', 'web-fd', 'front_door', i => (i === 3 ? 'timeout' : i === 1 ? 'http_status' : null)],
			['ub', 'us-east', 'web-edge', 'edge', () => null],
			['ea', 'eu-west', 'web-fd', 'front_door', () => null],
			['ea', 'eu-west', 'web-edge', 'edge', i => (i < 2 ? 'connect' : null)],
			['ea', 'eu-west', HOSTILE, 'central', () => null],
		];
		const seqs = { ua: 0, ub: 0, ea: 0 };
		const batches = { ua: [], ub: [], ea: [] };
		for (let i = 24; i >= 0; i--) {
			for (const [agent, region, check, layer, fails] of plan) {
				const ec = fails(i);
				batches[agent].push(record({ check, service: 'web', layer, agent, region,
				    seq: ++seqs[agent], ts: NOW - i * 30000 - 1000, ok: ec === null, error_class: ec,
				    status: ec === 'http_status' ? 503 : null,
				    error: ec ? `${ec} failure ${'é'.repeat(150)}` : null,
				    total_us: 20000 + i * 4000, cert_not_after: Math.floor(NOW / 1000) + 86400 * 10 }));
			}
		}
		for (const [agent, region] of [['ua', 'us-east'], ['ub', 'us-east'], ['ea', 'eu-west']])
			await ingest(base, agent, KEY, { agent, region, results: batches[agent] });
	});

	after(async () => {
		assert.deepEqual(await fleet.stop(), [], 'the collector exits 0 after SIGTERM');
	});

	it('serves the dashboard without the read token, the API only with it', async () => {
		const r = await fetch(`${base}/`);
		const html = await r.text();
		assert.equal(r.status, 200);
		assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
		assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'self';/);
		assert.match(html, /<meta name="referrer" content="no-referrer">/);
		assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');
		assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');
		assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
		for (const [path, type] of [['/static/js/main.js', /^text\/javascript/],
			['/static/app.css', /^text\/css/], ['/static/vendor/uPlot.iife.min.js', /^text\/javascript/],
			['/static/vendor/uPlot.min.css', /^text\/css/], ['/static/favicon.svg', /^image\/svg\+xml/]]) {
			const s = await fetch(base + path);
			assert.equal(s.status, 200, path);
			assert.match(s.headers.get('content-type'), type, path);
			assert.match(s.headers.get('etag') || '', /^"[0-9a-f]{16}"$/, `${path} has an ETag`);
			assert.equal(s.headers.get('cache-control'), 'no-cache', `${path} is cacheable, revalidated`);
			assert.match(s.headers.get('content-security-policy') || '', /default-src 'self'/, `${path} has a CSP`);
			assert.equal(s.headers.get('referrer-policy'), 'no-referrer', `${path} sends no referrer`);
			const again = await fetch(base + path, { headers: { 'If-None-Match': s.headers.get('etag') } });
			assert.equal(again.status, 304, `${path} revalidates to 304`);
			await s.arrayBuffer();
		}
		assert.equal((await fetch(`${base}/static/nope.js`)).status, 404);
		await api('/api/v1/matrix', { token: null, status: 401 });
		await api('/api/v1/results', { token: 'wrong', status: 401 });
		await api('/api/v1/burndown?slo=web-avail', { token: null, status: 401 });
		const index = await api('/api/v1', { token: null });
		assert.match(index, /\/api\/v1\/matrix/);
	});

	it('/api/v1/matrix: one cell per check x region with its newest result and recent outcomes', async () => {
		const m = await api('/api/v1/matrix?n=5');
		assert.deepEqual(m.fields, ['check', 'region', 'agent', 'age_ms', 'ok', 'status', 'total_ms',
			'error_class', 'error', 'recent', 'inconclusive']);
		assert.deepEqual(m.regions, ['eu-west', 'us-east']);
		// rows by service, then layer in delivery order, then name
		assert.deepEqual(m.checks.map(c => c.name), ['web-fd', 'web-edge', HOSTILE, 'configured-only']);
		assert.equal(m.checks[3].interval_ms, 30000);
		assert.equal(m.checks[0].interval_ms, null);
		assert.equal(m.checks[0].cert_not_after, Math.floor(NOW / 1000) + 86400 * 10);
		const F = Object.fromEntries(m.fields.map((f, i) => [f, i]));
		const cell = (check, region) => m.cells.find(c => m.checks[c[F.check]].name === check &&
		    m.regions[c[F.region]] === region);
		assert.equal(m.cells.length, 5, 'five check x region pairs have results');
		const fdUs = cell('web-fd', 'us-east');
		assert.equal(fdUs[F.ok], true);
		assert.equal(fdUs[F.recent], '+t+h+', 'oldest first: timeout at i=3, http_status at i=1');
		assert.equal(m.agents[fdUs[F.agent]], 'ua');
		assert.ok(fdUs[F.age_ms] >= 1000 && fdUs[F.age_ms] < 60000, `age ${fdUs[F.age_ms]}`);
		assert.equal(fdUs[F.total_ms], 20);
		const edgeEu = cell('web-edge', 'eu-west');
		assert.equal(edgeEu[F.ok], false);
		assert.equal(edgeEu[F.error_class], 'connect');
		assert.equal(edgeEu[F.recent], '+++cc');
		assert.ok(edgeEu[F.error].startsWith('connect failure é'));
		assert.ok(Buffer.byteLength(edgeEu[F.error]) <= 203, 'long messages are cut (on a character)');
		assert.equal(cell('web-edge', 'us-east')[F.recent], '+++++');
		assert.equal(m.agents[cell('web-edge', 'us-east')[F.agent]], 'ub');
		assert.ok(cell(HOSTILE, 'eu-west'));
		assert.equal((await api('/api/v1/matrix')).cells[0][F.recent].length, 20, 'default n is 20');
		await api('/api/v1/matrix?n=0', { status: 400 });
		await api('/api/v1/matrix?n=abc', { status: 400 });
	});

	it('/api/v1/results: raw records, newest first, filtered', async () => {
		const all = await api('/api/v1/results?limit=1000');
		assert.equal(all.results.length, 125);
		for (let i = 1; i < all.results.length; i++)
			assert.ok(all.results[i - 1].ts >= all.results[i].ts, 'newest first');
		const fails = await api('/api/v1/results?check=web-fd&ok=false');
		assert.deepEqual(fails.results.map(r => r.error_class), ['http_status', 'timeout']);
		assert.equal(fails.results[0].status, 503);
		const eu = await api(`/api/v1/results?check=${encodeURIComponent(HOSTILE)}&region=eu-west&limit=3`);
		assert.equal(eu.results.length, 3);
		assert.ok(eu.results.every(r => r.check === HOSTILE && r.region === 'eu-west'));
		const ub = await api('/api/v1/results?agent=ub&from=5m');
		assert.ok(ub.results.length >= 9 && ub.results.length <= 11, `${ub.results.length} in 5 min`);
		await api('/api/v1/results?ok=maybe', { status: 400 });
		await api('/api/v1/results?limit=1001', { status: 400 });
		await api('/api/v1/results?from=yesterday', { status: 400 });
	});

	it('/api/v1/burndown: steps that add up to the SLO numbers of the same evaluation', async () => {
		for (const name of ['web-avail', 'web-fd-latency', 'web-3d']) {
			const [slo, bd] = await waitFor(async () => {
				const a = await api(`/api/v1/slos/${name}`);
				const b = await api(`/api/v1/burndown?slo=${name}`);
				const c = await api(`/api/v1/slos/${name}`);
				return a.evaluated_at === b.evaluated_at && c.evaluated_at === b.evaluated_at &&
				    a.total > 0 ? [a, b] : null;
			}, { what: `${name}: an evaluation with data that stays put` });
			assert.equal(bd.slo, name);
			assert.equal(bd.window_ms, slo.window_ms);
			const good = bd.points.reduce((s, p) => s + p.good, 0);
			const total = bd.points.reduce((s, p) => s + p.total, 0);
			assert.equal(total, slo.total, `${name}: total`);
			assert.equal(good, slo.good, `${name}: good`);
			assert.equal(bd.good, slo.good);
			assert.equal(bd.budget_remaining, slo.budget_remaining);
			const last = bd.points[bd.points.length - 1];
			assert.ok(Math.abs(last.budget_remaining - slo.budget_remaining) < 1e-9,
			    `${name}: ends at budget_remaining ${slo.budget_remaining}, got ${last.budget_remaining}`);
			assert.equal(last.to, slo.evaluated_at);
			assert.ok(bd.points.length <= 122, `${name}: ${bd.points.length} steps`);
			for (let i = 1; i < bd.points.length; i++)
				assert.equal(bd.points[i].from, bd.points[i - 1].to, 'steps are contiguous');
			assert.ok(bd.points[0].from <= slo.evaluated_at - slo.window_ms);
		}
		const bd = await api('/api/v1/burndown?slo=web-avail');
		assert.equal(bd.step_ms, 6 * 3600e3, '30d: 6 h steps');
		assert.equal((await api('/api/v1/burndown?slo=web-3d')).step_ms, 3600e3, '3d: 1 h steps');
		await api('/api/v1/burndown?slo=nope', { status: 404 });
		await api('/api/v1/burndown', { status: 400 });
	});
});
