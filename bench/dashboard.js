'use strict';
// bench/dashboard.js: the dashboard's budget. Fills a collector with a fleet
// of CHECKS checks x REGIONS regions (signed batches, as agents send them),
// then loads the overview in headless Chromium with a cold cache RUNS times
// and measures what the first load transfers (bytes on the wire, from the
// DevTools protocol) and how long until the matrix is rendered. Writes
// bench/dashboard-results.md (or $OUT). Run through bench/dashboard.sh.
//
// Budget (issue 6): the first load transfers under 200 KB and renders
// 200 checks x 5 regions in under 1 s.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Fleet, ingest, launchChromium, record, waitFor, BIN } = require('../tests/browser/fleet.js');

const CHECKS = Number(process.env.CHECKS || 200);
const NREGIONS = Number(process.env.REGIONS || 5);
const HISTORY = Number(process.env.HISTORY || 60);	// runs per check x region
const RUNS = Number(process.env.RUNS || 5);
const OUT = process.env.OUT || path.join(__dirname, 'dashboard-results.md');
const BUDGET_BYTES = 200 * 1024;
const BUDGET_MS = 1000;
const ALL_REGIONS = ['us-east', 'eu-central', 'ap-south', 'sa-east', 'af-south', 'us-west',
	'eu-north', 'ap-east'];
const LAYERS = ['front_door', 'front_door', 'edge', 'edge', 'central', 'central', 'central',
	'front_door', 'edge', 'central'];

const median = a => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const kb = n => `${(n / 1024).toFixed(1)} KB`;

function sh(cmd, args) {
	try {
		return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
	} catch {
		return '?';
	}
}

async function fill(base, agents) {
	const now = Date.now();
	const services = Math.max(1, Math.round(CHECKS / 10));
	let failures = 0;
	await Promise.all(agents.map(async (a, ai) => {
		const results = [];
		let seq = 0;
		for (let i = HISTORY - 1; i >= 0; i--) {
			for (let c = 0; c < CHECKS; c++) {
				const svc = `svc-${String(c % services).padStart(2, '0')}`;
				// one origin down in one region, some flaky checks
				const down = c === 7 && ai === 0 && i < 10;
				const flaky = c % 37 === 5 && (i * 7 + ai) % 11 === 0;
				const ok = !(down || flaky);
				if (!ok)
					failures++;
				results.push(record({ check: `${svc}-check-${String(c).padStart(3, '0')}`,
				    service: svc, layer: LAYERS[Math.floor(c / services) % LAYERS.length],
				    provider: ['cloudflare', 'aws', 'fastly'][c % 3], agent: a.id, region: a.region,
				    seq: ++seq, ts: now - i * 30000 - ai * 100, ok,
				    error_class: down ? 'connect' : 'timeout',
				    error: down ? 'Failed to connect to origin port 443 after 212 ms: Connection refused' : null,
				    url: `https://${svc}.example.com/healthz`,
				    total_us: 40000 + ((c * 7919 + i * 104729) % 250000),
				    cert_not_after: Math.floor(now / 1000) + 86400 * (20 + c % 60) }));
			}
		}
		for (let i = 0; i < results.length; i += 10000)
			await ingest(base, a.id, a.key, { agent: a.id, region: a.region,
			    results: results.slice(i, i + 10000) });
	}));
	return { results: agents.length * HISTORY * CHECKS, failures, services };
}

// One cold load of the overview (or of query, waiting for its charts):
// bytes on the wire and time to the matrix.
async function load(browser, base, token, query) {
	const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
	await ctx.addInitScript((t) => sessionStorage.setItem('vantage.read_token', t), token);
	const page = await ctx.newPage();
	const cdp = await ctx.newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
	const urls = new Map();
	const bytes = new Map();
	cdp.on('Network.requestWillBeSent', e => urls.set(e.requestId, e.request.url));
	cdp.on('Network.loadingFinished', e => bytes.set(e.requestId, e.encodedDataLength));
	const errors = [];
	page.on('console', m => m.type() === 'error' && errors.push(m.text()));
	page.on('pageerror', e => errors.push(e.message));
	await page.goto(`${base}/${query || ''}`);
	if (query) {
		await page.waitForSelector('main[data-updated] .chart canvas', { timeout: 30000 });
		await page.waitForLoadState('networkidle');
		const per = [...bytes].map(([id, n]) => ({ url: urls.get(id).replace(base, ''), bytes: n }));
		const ms = await page.evaluate(() => performance.now());
		await ctx.close();
		return { per, ms, total: per.reduce((s, r) => s + r.bytes, 0) };
	}
	await page.waitForFunction(() => performance.getEntriesByName('vantage:matrix-painted').length,
	    null, { timeout: 30000 });
	await page.waitForLoadState('networkidle');
	const t = await page.evaluate(() => ({
		built: performance.getEntriesByName('vantage:matrix')[0].startTime,
		painted: performance.getEntriesByName('vantage:matrix-painted')[0].startTime,
		cells: document.querySelectorAll('#matrix [data-cell]').length,
		failing: document.querySelectorAll('#matrix [data-state="fail"]').length,
		nodes: document.getElementsByTagName('*').length,
	}));
	const per = [...bytes].map(([id, n]) => ({ url: urls.get(id).replace(base, ''), bytes: n }));
	await ctx.close();
	return { ...t, errors, per, total: per.reduce((s, r) => s + r.bytes, 0) };
}

async function timed(url, token) {
	const t0 = process.hrtime.bigint();
	const r = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
	const body = await r.arrayBuffer();
	return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes: body.byteLength, status: r.status };
}

async function main() {
	const fleet = new Fleet('bench-dashboard');
	const token = crypto.randomBytes(12).toString('hex');
	const regions = ALL_REGIONS.slice(0, NREGIONS);
	const agents = regions.map(region => ({ id: `${region}-1`, region,
	    key: crypto.randomBytes(16).toString('hex') }));
	let browser;
	try {
		const services = Math.max(1, Math.round(CHECKS / 10));
		const c = await fleet.collector({
			read_token: token,
			agents: agents.map(a => ({ id: a.id, key: a.key })),
			slos: Array.from({ length: Math.min(services, 10) }, (_, i) => ({
				name: `svc-${String(i).padStart(2, '0')}-availability`, objective: 99.9,
				selector: { service: `svc-${String(i).padStart(2, '0')}` } })),
		}, { evaluateEvery: '2s' });
		const t0 = Date.now();
		const filled = await fill(c.url, agents);
		const fillMs = Date.now() - t0;
		await waitFor(async () => {
			const r = await fetch(`${c.url}/api/v1/slos`, { headers: { Authorization: `Bearer ${token}` } });
			const s = r.ok ? await r.json() : null;
			return s && s.evaluated_at > t0 + fillMs && s.slos.every(x => x.total > 0);
		}, { timeout: 60000, what: 'the SLO engine to see the data' });
		browser = await launchChromium();
		await load(browser, c.url, token);	// warm the collector's caches, not the browser's
		const runs = [];
		for (let i = 0; i < RUNS; i++)
			runs.push(await load(browser, c.url, token));
		const checkPage = await load(browser, c.url, token,
		    '?page=check&check=svc-00-check-000&range=24h');
		const api = {};
		for (const p of ['/api/v1/matrix?n=20', '/api/v1/slos', '/api/v1/agents',
			'/api/v1/incidents?since=1h', '/api/v1/status',
			'/api/v1/burndown?slo=svc-00-availability',
			'/api/v1/series?check=svc-00-check-000&from=24h&step=5m&by=region',
			'/api/v1/results?check=svc-00-check-000&from=7d&limit=100']) {
			const t = [];
			for (let i = 0; i < 5; i++)
				t.push(await timed(c.url + p, token));
			api[p] = { ms: median(t.map(x => x.ms)), bytes: t[0].bytes, status: t[0].status };
		}
		const r = runs[runs.length - 1];
		const bytes = runs.map(x => x.total), painted = runs.map(x => x.painted);
		const built = runs.map(x => x.built);
		const okBytes = Math.max(...bytes) < BUDGET_BYTES, okMs = Math.max(...painted) < BUDGET_MS;
		const lines = [
			'# Dashboard: first-load weight and time to the rendered matrix',
			'',
			`Measured by \`bench/dashboard.sh\` on ${new Date().toISOString().slice(0, 10)}: a collector filled with`,
			`${CHECKS} checks x ${NREGIONS} regions (${filled.results} results: ${HISTORY} runs per check and`,
			`region, 30 s apart, signed batches as agents send them; ${filled.failures} failures; ${filled.services}`,
			`services; ${Math.min(filled.services, 10)} SLOs), then the overview loaded ${RUNS} times in headless`,
			'Chromium, each in a fresh browser context with the cache disabled (a first visit). Bytes are',
			'what crossed the wire (DevTools `encodedDataLength`: headers and bodies). Time is from',
			'navigation start to the frame after the matrix was built (`performance.mark`).',
			'',
			'| | budget | median | worst | result |',
			'| --- | --- | --- | --- | --- |',
			`| first load, transferred | < 200 KB | ${kb(median(bytes))} | ${kb(Math.max(...bytes))} | ${okBytes ? 'within' : 'OVER'} |`,
			`| matrix of ${r.cells} cells rendered | < 1 s | ${Math.round(median(painted))} ms | ${Math.round(Math.max(...painted))} ms | ${okMs ? 'within' : 'OVER'} |`,
			`| matrix built (DOM, before paint) | | ${Math.round(median(built))} ms | ${Math.round(Math.max(...built))} ms | |`,
			'',
			`The page held ${r.nodes} elements; ${r.failing} cells failing; console errors: ${r.errors.length ? r.errors.join('; ') : 'none'}.`,
			'',
			'What the first load fetched (last run):',
			'',
			'| request | bytes on the wire |',
			'| --- | --- |',
			...r.per.sort((a, b) => b.bytes - a.bytes).map(x => `| \`${x.url}\` | ${x.bytes} |`),
			'',
			'uPlot (`/static/vendor/uPlot.iife.min.js`, 51 KB) is not part of the overview\'s load: the',
			'check, SLO and layer pages load it on first use. For comparison, a cold load of a check page',
			`(24 h, per region, with uPlot) transferred ${kb(checkPage.total)} in ${checkPage.per.length} requests.`,
			'',
			'The API behind the pages, same fleet (median of 5 requests, from node on the same host):',
			'',
			'| endpoint | answer bytes | median time |',
			'| --- | --- | --- |',
			...Object.entries(api).map(([p, x]) => `| \`${p}\` | ${x.bytes} | ${x.ms.toFixed(1)} ms |`),
			'',
			`Filling the collector took ${(fillMs / 1000).toFixed(1)} s.`,
			'',
			'Machine:',
			'',
			'```',
			`cpu: ${os.cpus()[0].model} (${os.cpus().length} CPUs), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
			`os: ${sh('uname', ['-srm'])}`,
			`chromium: ${sh(process.env.CHROMIUM || '/usr/bin/chromium', ['--version'])}`,
			`node: ${process.version}, playwright-core ${require('playwright-core/package.json').version}`,
			`collector: ${sh(BIN.collector, ['--version'])} (${sh('git', ['-C', path.join(__dirname, '..'), 'describe', '--always', '--dirty'])})`,
			'```',
			'',
		];
		fs.writeFileSync(OUT, lines.join('\n'));
		process.stdout.write(lines.join('\n'));
		process.exitCode = okBytes && okMs ? 0 : 3;
	} catch (e) {
		console.error(e);
		console.error(fleet.logs());
		process.exitCode = 1;
	} finally {
		if (browser)
			await browser.close();
		await fleet.stop();
	}
}

main();
