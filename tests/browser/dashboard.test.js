'use strict';
// The dashboard in headless Chromium, against a real collector filled by
// two real agents probing fixture targets (dist/demo/demo-origin) on
// loopback. A screenshot of each page goes to $VANTAGE_ARTIFACTS.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const { Fleet, ingest, launchChromium, record, sleep, waitFor } = require('./fleet.js');

const TOKEN = crypto.randomBytes(12).toString('hex');
const HOSTILE = '<img src=x onerror=alert(1)>';
const HOSTILE_SERVICE = 'lab<script>alert(2)</script>';
const REGIONS = ['eu-west', 'us-east'];
const REFRESH = 3;	// seconds (?refresh=3; the default is 10)
const ARTIFACTS = process.env.VANTAGE_ARTIFACTS || path.join(__dirname, 'artifacts');

// As the pages write them (web/static/js/fmt.js)
const pct = v => (v === null ? 'no data' : `${(v * 100).toFixed(3)} %`);
const budget = v => (v === null ? 'no data' : `${(v * 100).toFixed(1)} %`);

// it(), remembering a failure so the processes' logs get printed
let failed = false;
function step(name, fn) {
	it(name, async () => {
		try {
			await fn();
		} catch (e) {
			failed = true;
			throw e;
		}
	});
}

describe('dashboard in headless Chromium', () => {
	const fleet = new Fleet('dashboard');
	const problems = [];	// console errors, page errors, dialogs
	let base, browser, page, front, edge, cdn, hook, keys, tokenGiven = false;

	const api = async (p) => {
		const r = await fetch(base + p, { headers: { Authorization: `Bearer ${TOKEN}` } });
		assert.equal(r.status, 200, `${p}: ${r.status}`);
		return r.json();
	};
	const shot = async (name) => {
		fs.mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
	};
	// load a page and wait for its first complete refresh
	const open = async (query) => {
		await page.goto(`${base}/?${query ? `${query}&` : ''}refresh=${REFRESH}`);
		await page.waitForSelector('main[data-updated]', { timeout: 15000 });
	};
	const matrixState = async () => {
		const m = await api('/api/v1/matrix');
		const F = Object.fromEntries(m.fields.map((f, i) => [f, i]));
		return m.cells.map(c => ({ check: m.checks[c[F.check]].name, region: m.regions[c[F.region]],
		    ok: c[F.ok] }));
	};

	before(async () => {
		failed = true;	/* until the fleet is up */
		front = await fleet.origin('front');
		edge = await fleet.origin('edge');
		// the shop's CDN: answers /healthz itself and says so as nginx and
		// Varnish do (X-Cache), a miss every fourth request
		let served = 0;
		cdn = http.createServer((req, res) => {
			res.writeHead(200, { 'Content-Type': 'application/json',
			    'X-Cache': ++served % 4 === 0 ? 'MISS' : 'HIT' });
			res.end('{"status":"ok"}\n');
		});
		await new Promise((ok, bad) => cdn.once('error', bad).listen(0, '127.0.0.1', ok));
		const cdnUrl = `http://127.0.0.1:${cdn.address().port}`;
		// where the alert rule's notifications go: accepted, nothing more
		hook = http.createServer((req, res) => {
			req.resume();
			req.on('end', () => {
				res.writeHead(200);
				res.end('ok\n');
			});
		});
		await new Promise((ok, bad) => hook.once('error', bad).listen(0, '127.0.0.1', ok));
		// filler-1 is configured but sends nothing until the last tests:
		// the overview lists it as silent
		keys = { 'us-east-1': crypto.randomBytes(16).toString('hex'),
			'eu-west-1': crypto.randomBytes(16).toString('hex'),
			'filler-1': crypto.randomBytes(16).toString('hex') };
		const c = await fleet.collector({
			read_token: TOKEN,
			agents: Object.entries(keys).map(([id, key]) => ({ id, key })),
			defaults: { interval: '1s', timeout: '800ms', retries: 0 },
			checks: [
				{ name: 'shop-front-door', service: 'shop', layer: 'front_door', provider: 'fixture',
				    url: `${cdnUrl}/healthz`, expect: { json: { status: 'ok' } } },
				{ name: 'shop-edge-origin', service: 'shop', layer: 'edge', provider: 'fixture',
				    url: `${edge.url}/healthz`, expect: { json: { status: 'ok' } } },
				{ name: 'shop-central-origin', service: 'shop', layer: 'central', provider: 'fixture',
				    url: `${front.url}/api/hello` },
				{ name: HOSTILE, service: HOSTILE_SERVICE, layer: 'front_door',
				    provider: '<svg onload=alert(3)>', url: `${front.url}/healthz` },
			],
			slos: [
				{ name: 'shop-front-door-availability', objective: 99.5,
				    selector: { service: 'shop', layer: 'front_door' } },
				{ name: 'shop-edge-availability', objective: 99.5,
				    selector: { service: 'shop', layer: 'edge' } },
				{ name: 'shop-latency', objective: 95, sli: 'latency', threshold: '500ms',
				    selector: { service: 'shop' } },
			],
			alerts: {
				receivers: [{ name: 'hook', type: 'webhook',
				    url: `http://127.0.0.1:${hook.address().port}/hook` }],
				rules: [{ name: 'shop-edge-down', type: 'check_down',
				    selector: { service: 'shop', layer: 'edge' }, receivers: ['hook'] }],
			},
		});
		base = c.url;
		await fleet.agent({ id: 'us-east-1', region: 'us-east', key: keys['us-east-1'], collector: base });
		await fleet.agent({ id: 'eu-west-1', region: 'eu-west', key: keys['eu-west-1'], collector: base });
		await waitFor(async () => {
			const cells = await matrixState();
			return cells.length === 8 && cells.every(x => x.ok);
		}, { timeout: 30000, what: 'both agents to report every check, all passing' });
		browser = await launchChromium();
		const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
		page = await ctx.newPage();
		page.on('console', (m) => {
			// before the token is given, the API answers 401 and Chromium
			// logs each refused request; that is the prompt working. Requests
			// already in flight when the token is typed may still log theirs,
			// so a 401 counts only once a second has passed with the token.
			const late = tokenGiven && Date.now() - tokenGiven > 1000;
			if (m.type() === 'error' && !(!late && /status of 401/.test(m.text())))
				problems.push(`console: ${m.text()}`);
		});
		page.on('pageerror', e => problems.push(`page error: ${e.message}`));
		page.on('dialog', (d) => {
			problems.push(`dialog: ${d.message()}`);
			d.dismiss().catch(() => {});
		});
		failed = false;
	});

	after(async () => {
		if (browser)
			await browser.close();
		if (cdn)
			await new Promise(ok => cdn.close(ok));
		if (hook)
			await new Promise(ok => hook.close(ok));
		if (failed) {
			console.log(fleet.logs());
			console.log(`# kept ${fleet.dir}`);
		}
		const bad = await fleet.stop({ keep: failed });
		assert.deepEqual(bad, [], 'every process exits 0 after SIGTERM');
	});

	step('asks for the read token, refuses a wrong one, keeps the right one for the session', async () => {
		await page.goto(`${base}/?refresh=${REFRESH}`);
		await page.waitForSelector('#token-form');
		await page.fill('#token', 'not-the-token');
		await page.click('#token-form button');
		await page.waitForSelector('#token-form [role=alert]');
		assert.match(await page.textContent('#token-form [role=alert]'), /refused/);
		await page.fill('#token', TOKEN);
		tokenGiven = Date.now();
		await page.click('#token-form button');
		await page.waitForSelector('#matrix');
		await page.reload();
		await page.waitForSelector('main[data-updated] #matrix');
		assert.equal(await page.$('#token-form'), null, 'no prompt after a reload');
	});

	step('overview: one cell per check x region, in the state of its newest result', async () => {
		await open('');
		const cells = await page.$$eval('#matrix [data-cell]', els => els.map(e => ({
			check: e.dataset.check, region: e.dataset.region, state: e.dataset.state })));
		assert.equal(cells.length, 8);
		const heads = await page.$$eval('#matrix table', ts => ts.map(t =>
		    [...t.tHead.rows[0].cells].map(c => c.textContent)));
		assert.equal(heads.length, 2, 'a table per service');
		for (const head of heads)
			assert.deepEqual(head, ['Check', ...REGIONS]);
		const api8 = await matrixState();
		for (const x of api8) {
			const cell = cells.find(y => y.check === x.check && y.region === x.region);
			assert.ok(cell, `a cell for ${x.check} in ${x.region}`);
			assert.equal(cell.state, x.ok ? 'ok' : 'fail', `${x.check} in ${x.region}`);
		}
		assert.ok(cells.every(x => x.state === 'ok'));
		// rows by service and layer: front door, edge, central
		const rows = await page.$$eval('#matrix section[data-service="shop"] th[scope=row] a',
		    a => a.map(x => x.textContent));
		assert.deepEqual(rows, ['shop-front-door', 'shop-edge-origin', 'shop-central-origin']);
		assert.match(await page.textContent('#summary'), /All 4 checks passing in 2 regions/);
		assert.deepEqual(await page.$$eval('#silent-agents [data-agent]', l => l.map(x => x.dataset.agent)),
		    ['filler-1'], 'the agent that never reported is listed as silent');
		await shot('overview');
	});

	step('SLO cards show the numbers of /api/v1/slos, least budget first', async () => {
		const [slos, cards] = await waitFor(async () => {
			const a = await api('/api/v1/slos');
			const shown = await page.$eval('#slos .cards', e => e.dataset.evaluatedAt).catch(() => null);
			if (String(a.evaluated_at) !== shown)
				return null;
			return [a, await page.$$eval('#slos [data-slo]', els => els.map(e => ({
				name: e.dataset.slo, availability: e.dataset.availability, budget: e.dataset.budget,
				availabilityText: e.querySelector('.availability').textContent,
				budgetText: e.querySelector('.budget').textContent })))];
		}, { timeout: 3 * REFRESH * 1000, what: 'the page to show the current SLO evaluation' });
		assert.equal(cards.length, slos.slos.length);
		const order = slos.slos.slice().sort((a, b) => a.budget_remaining - b.budget_remaining ||
		    a.name.localeCompare(b.name)).map(s => s.name);
		assert.deepEqual(cards.map(c => c.name), order);
		for (const s of slos.slos) {
			const c = cards.find(x => x.name === s.name);
			assert.equal(c.availability, String(s.availability), `${s.name} availability`);
			assert.equal(c.budget, String(s.budget_remaining), `${s.name} budget`);
			assert.equal(c.availabilityText, pct(s.availability));
			assert.equal(c.budgetText, budget(s.budget_remaining));
		}
	});

	step('renders a hostile check name as text and runs no script', async () => {
		const name = await page.$$eval('#matrix th[scope=row] a', a => a.map(x => x.textContent));
		assert.ok(name.includes(HOSTILE), 'the name is shown as written');
		const svc = await page.$$eval('#matrix section.svc h3', t => t.map(x => x.textContent));
		assert.ok(svc.some(t => t.includes(HOSTILE_SERVICE)), 'so is its service');
		assert.equal(await page.$$eval('img, svg, script:not([src])', e => e.length), 0,
		    'no element came from the data');
		await open(`page=check&check=${encodeURIComponent(HOSTILE)}&range=1h`);
		assert.equal(await page.textContent('main h1'), HOSTILE);
		assert.equal(await page.$$eval('main img, main script', e => e.length), 0);
		assert.deepEqual(problems.filter(p => p.startsWith('dialog')), [], 'no alert() ran');
	});

	step('a failing target turns its cells red within one refresh', async () => {
		await open('');
		await edge.mode('down');
		// when the collector first knows both regions fail ...
		await waitFor(async () => (await matrixState())
		    .filter(x => x.check === 'shop-edge-origin' && !x.ok).length === 2,
		{ timeout: 20000, every: 100, what: 'the collector to see the edge origin fail' });
		const t0 = Date.now();
		// ... the page shows it by its next refresh
		await page.waitForFunction(() => document.querySelectorAll(
		    '#matrix [data-check="shop-edge-origin"][data-state="fail"]').length === 2,
		null, { timeout: (REFRESH + 3) * 1000 });
		const took = Date.now() - t0;
		assert.ok(took <= (REFRESH + 1.5) * 1000, `shown ${took} ms after the API had it`);
		const look = await page.$eval('#matrix [data-check="shop-edge-origin"][data-state="fail"]', (e) => ({
			bg: getComputedStyle(e).backgroundColor,
			want: (() => {
				const p = document.createElement('p');
				p.style.backgroundColor = 'var(--fail-bg)';
				document.body.append(p);
				const c = getComputedStyle(p).backgroundColor;
				p.remove();
				return c;
			})(),
			text: e.textContent,
			label: e.querySelector('a').getAttribute('aria-label'),
		}));
		assert.equal(look.bg, look.want, 'the cell is red');
		assert.match(look.text, /✗/, 'and says so with an icon');
		assert.match(look.label, /^shop-edge-origin in (eu-west|us-east): failed \(http_status 503\)/,
		    'and in words');
		const others = await page.$$eval('#matrix [data-cell]:not([data-check="shop-edge-origin"])',
		    els => els.map(e => e.dataset.state));
		assert.ok(others.every(s => s === 'ok'), 'the front door keeps passing');
		assert.match(await page.textContent('#summary'), /1 check failing in 2 regions/);
		// the open incident says why, each part on its own line: the cause,
		// one line per region, the summary's lines
		await page.waitForSelector('#incidents li[data-incident] .cause',
		    { timeout: (REFRESH + 15) * 1000 });
		const inc = await page.$eval('#incidents li[data-incident]', (li) => {
			const sum = li.querySelector('.incident-summary');
			return {
				cause: li.querySelector('.cause').textContent,
				regions: [...li.querySelectorAll('.cause-regions > li')].map(x => x.textContent),
				tops: [...li.querySelectorAll('.cause, .cause-regions > li, .incident-summary')]
				    .map(x => x.getBoundingClientRect().top),
				summaryLines: sum ? sum.innerText.split('\n').length : 0,
				whiteSpace: sum ? getComputedStyle(sum).whiteSpace : '',
			};
		});
		const opened = (await api('/api/v1/incidents')).incidents.filter(i => i.status === 'open');
		assert.equal(opened.length, 1);
		assert.equal(inc.cause, opened[0].cause);
		assert.equal(inc.cause, 'edge origin failing, front door healthy: failover working');
		assert.equal(inc.regions.length, 2);
		for (const [k, line] of inc.regions.entries())
			assert.match(line, new RegExp(`^${REGIONS[k]}: front door healthy, edge failing ` +
			    '\\([23] of 3 runs\\), central healthy$'));
		assert.ok(inc.tops.every((t, k) => k === 0 || t > inc.tops[k - 1]),
		    `each on a line of its own: ${inc.tops}`);
		assert.equal(inc.whiteSpace, 'pre-line');
		assert.equal(inc.summaryLines, 2, 'the summary keeps its two lines');
		await shot('overview-edge-down');
		// the layer view says it in words
		await open('page=service&service=shop&range=1h');
		const verdicts = await page.$$eval('#verdicts [data-region]', els => els.map(e => e.textContent));
		assert.equal(verdicts.length, 2);
		for (const v of verdicts)
			assert.match(v, /origin edge down; the front door still serves/);
		assert.equal(await page.$$eval('#layers td[data-layer="edge"][data-state="fail"]', e => e.length), 2);
		assert.equal(await page.$$eval('#layers td[data-layer="front_door"][data-state="ok"]', e => e.length), 2);
		await waitFor(() => page.$$eval('.chart canvas', c => c.length >= 3), { what: 'layer charts' });
		await shot('service-layers');
		// the check page lists the failures with their class
		await open('page=check&check=shop-edge-origin&range=1h');
		await waitFor(() => page.$$eval('#failures tbody tr', r => r.length > 0), { timeout: 10000,
		    what: 'the failures table' });
		assert.match(await page.textContent('#failures tbody tr'), /http_status/);
		await edge.mode('up');
		// the next steps see no incident panel come and go
		await waitFor(async () => (await api('/api/v1/incidents')).incidents
		    .every(i => i.status !== 'open'), { timeout: 20000, what: 'the incident to resolve' });
	});

	step('check page draws its charts, the phase breakdown and the state per region', async () => {
		await open('page=check&check=shop-front-door&range=1h');
		await page.waitForSelector('#chart-availability canvas');
		await page.waitForSelector('#chart-latency canvas');
		// a chart with lines has many coloured pixels
		const inked = await page.$$eval('.chart canvas', cs => cs.map((c) => {
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let i = 3; i < d.length; i += 4)
				if (d[i] > 0)
					n++;
			return n;
		}));
		assert.equal(inked.length, 2);
		assert.ok(inked.every(n => n > 200), `drawn pixels per chart: ${inked}`);
		const legend = await page.$$eval('#chart-availability .u-legend .u-label', l => l.map(x => x.textContent));
		assert.deepEqual(legend.slice(1), REGIONS, 'one line per region, named in the legend');
		assert.deepEqual(await page.$$eval('#phases .phase-row', r => r.map(x => x.dataset.region)), REGIONS);
		assert.deepEqual(await page.$$eval('#check-status [data-region]', r => r.map(x => x.dataset.state)),
		    ['ok', 'ok']);
		assert.match(await page.textContent('#cert'), /No TLS certificate/);
		await shot('check');
		// merged lines, another range: deep link and the same charts
		await open('page=check&check=shop-front-door&range=24h&by=merged');
		await page.waitForSelector('#chart-latency canvas');
		assert.equal(await page.$eval('.choice a.on', a => a.textContent), '24h');
		const labels = await page.$$eval('#chart-latency .u-legend .u-label', l => l.map(x => x.textContent));
		assert.deepEqual(labels.slice(1), ['p50', 'p90', 'p95', 'p99']);
	});

	step('a front door shows its cache-hit ratio in words, equal to /api/v1/cache', async () => {
		// the answer of /api/v1/cache the page got, and what it then shows
		const shown = async (query, sel, check) => {
			const resp = page.waitForResponse(r => r.url().includes('/api/v1/cache?') &&
			    r.status() === 200, { timeout: (REFRESH + 5) * 1000 });
			await open(query);
			const a = await (await resp).json();
			const row = a.rows.find(r => r.check === undefined || r.check === check);
			const el = await waitFor(() => page.$eval(sel, e => ({ ...e.dataset, text: e.textContent }))
			    .then(x => (x.to === String(a.to) ? x : null)),
			{ timeout: (REFRESH + 5) * 1000, what: `${sel} to show the answer` });
			// and the API, asked again for the same window, agrees (results
			// coming in meanwhile move it a little)
			const again = (await api(`/api/v1/cache?from=${a.from}&to=${a.to}&check=${check}`)).rows[0];
			assert.ok(Math.abs(again.hit_ratio - row.hit_ratio) < 0.1, `${again.hit_ratio} ~ ${row.hit_ratio}`);
			return { el, row };
		};
		const o = await shown('', '#matrix tr:has(a[href*="check=shop-front-door"]) .cache',
		    'shop-front-door');
		assert.ok(o.row.lookups > 0 && o.row.hit_ratio > 0.5 && o.row.hit_ratio < 1,
		    `3 of 4 answers are hits: ${JSON.stringify(o.row)}`);
		assert.equal(o.el.hitRatio, String(o.row.hit_ratio));
		assert.equal(o.el.hits, String(o.row.hits));
		assert.equal(o.el.text, `cache hit ${(o.row.hit_ratio * 100).toFixed(1)} %`);
		// origins show nothing about the cache; the hostile front door
		// (no cache header) says it has no data
		assert.equal(await page.$$eval('#matrix tr:has(a[href*="check=shop-edge-origin"]) .cache',
		    e => e.length), 0);
		assert.deepEqual(await page.$$eval('#matrix section.svc:not([data-service="shop"]) .cache',
		    e => e.map(x => x.textContent)), ['cache hit no data']);
		// the check page: beside the availability over its range
		const c = await shown('page=check&check=shop-front-door&range=1h', '#cache-hit',
		    'shop-front-door');
		assert.equal(c.el.hitRatio, String(c.row.hit_ratio));
		assert.equal(c.el.text, `${(c.row.hit_ratio * 100).toFixed(1)} %`);
		assert.match(await page.textContent('#check-summary'),
		    /^availability \(1h\)\d+\.\d{3} %cache hit ratio \(1h\)\d+\.\d %$/);
	});

	step('SLO page draws the burn-down, the burn rates and the breakdown', async () => {
		await open('page=slo&slo=shop-front-door-availability');
		await page.waitForSelector('#chart-burndown canvas');
		const s = await api('/api/v1/slos/shop-front-door-availability');
		assert.equal(await page.$$eval('#alert-table tbody tr', r => r.length), s.alerts.length);
		assert.deepEqual(await page.$$eval('#by-region tbody tr', r => r.map(x => x.dataset.key)), REGIONS);
		assert.deepEqual(await page.$$eval('#by-layer tbody tr', r => r.map(x => x.dataset.key)), ['front_door']);
		await shot('slo');
	});

	step('is usable on a phone and in dark mode', async () => {
		await page.setViewportSize({ width: 390, height: 844 });
		await page.emulateMedia({ colorScheme: 'dark' });
		await open('');
		const width = await page.evaluate(() => document.documentElement.scrollWidth);
		assert.ok(width <= 390, `the page fits the phone's width (${width}px); the matrix scrolls inside`);
		const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		assert.equal(bg, 'rgb(17, 20, 24)', 'dark background');
		await shot('overview-phone-dark');
		await page.emulateMedia({ colorScheme: 'light' });
		await page.setViewportSize({ width: 1280, height: 900 });
	});

	step('a refresh keeps the reader where they are in a long matrix', async () => {
		// 12 more services from a third region, sent as signed batches
		const now = Date.now(), results = [];
		let seq = 0;
		for (let i = 4; i >= 0; i--)
			for (let k = 0; k < 120; k++)
				results.push(record({ check: `svc-${String(k % 12).padStart(2, '0')}-c${k}`,
				    service: `svc-${String(k % 12).padStart(2, '0')}`, layer: 'edge',
				    agent: 'filler-1', region: 'ap-south', seq: ++seq, ts: now - i * 5000,
				    ok: (k + i) % 9 !== 0 }));
		await ingest(base, 'filler-1', keys['filler-1'], { agent: 'filler-1', region: 'ap-south', results });
		await open('');
		await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
		await sleep(300);
		const where = () => page.evaluate(() => {
			const e = document.elementFromPoint(200, 400);
			return [Math.round(scrollY), e && e.closest('section') && e.closest('section').dataset.service];
		});
		const before = await where();
		assert.ok(before[1], `a service's table is under the reader (${before})`);
		for (let i = 0; i < 2; i++) {
			const u = await page.$eval('main', m => m.dataset.updated);
			await page.waitForFunction(x => document.querySelector('main').dataset.updated !== x, u,
			    { timeout: (REFRESH + 3) * 1000 });
			assert.deepEqual(await where(), before, 'same scroll position, same service in view');
		}
	});

	step('logged no console errors', () => {
		assert.deepEqual(problems, []);
	});
});
