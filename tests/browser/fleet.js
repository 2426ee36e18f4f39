'use strict';
// fleet: start real vantage processes on loopback (port 0, port files, no
// fixed ports, no sleeping for readiness), sign batches like an agent, and
// drive headless Chromium. Shared by the browser tests and
// bench/dashboard.js.
//
// Environment: VANTAGE_COLLECTOR, VANTAGE_AGENT (binaries), VANTAGE_BUILDDIR
// (for dist/demo/demo-origin), CHROMIUM (default /usr/bin/chromium).

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BUILD = process.env.VANTAGE_BUILDDIR || path.resolve(__dirname, '../..');
const BIN = {
	collector: process.env.VANTAGE_COLLECTOR || path.join(BUILD, 'web/vantage-collector'),
	agent: process.env.VANTAGE_AGENT || path.join(BUILD, 'agent/vantage-agent'),
	origin: path.join(BUILD, 'dist/demo/demo-origin'),
};

function sleep(ms) {
	return new Promise(r => setTimeout(r, ms));
}

// Poll fn until it returns something truthy; throw naming what after timeout.
async function waitFor(fn, { timeout = 20000, every = 100, what = 'condition' } = {}) {
	const end = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			const v = await fn();
			if (v)
				return v;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`timed out after ${timeout} ms waiting for ${what}` +
			    (last ? ` (last error: ${last.message})` : ''));
		await sleep(every);
	}
}

// The agent signature (README, Wire protocol):
// hex(HMAC-SHA256(key, METHOD "\n" PATH "\n" TS "\n" hex(SHA-256(body))))
function signHeader(agent, key, method, pathname, body, ts = Math.floor(Date.now() / 1000)) {
	const bodyHash = crypto.createHash('sha256').update(body || '').digest('hex');
	const sig = crypto.createHmac('sha256', key)
	    .update(`${method}\n${pathname}\n${ts}\n${bodyHash}`).digest('hex');
	return `Vantage-HMAC-SHA256 agent=${agent}, ts=${ts}, sig=${sig}`;
}

// POST one signed batch; returns the collector's answer (throws on non-200).
async function ingest(base, agent, key, batch) {
	const body = JSON.stringify(batch);
	const r = await fetch(`${base}/api/v1/ingest`, { method: 'POST', body,
	    headers: { 'Content-Type': 'application/json',
		Authorization: signHeader(agent, key, 'POST', '/api/v1/ingest', body) } });
	const text = await r.text();
	if (r.status !== 200)
		throw new Error(`ingest as ${agent}: ${r.status} ${text}`);
	return JSON.parse(text);
}

// A result record as an agent sends it (DESIGN.md, The result record).
function record(o) {
	const ok = o.ok !== false;
	return {
		check: o.check, kind: 'http', service: o.service ?? null, layer: o.layer ?? null,
		provider: o.provider ?? null, url: o.url || 'http://127.0.0.1:9/',
		agent: o.agent, region: o.region, seq: o.seq, ts: o.ts,
		ok, error_class: ok ? null : (o.error_class || 'timeout'),
		error: ok ? null : (o.error || 'Operation timed out after 2000 milliseconds'),
		status: ok ? 200 : (o.status ?? null), http_version: '1.1', ip: '127.0.0.1', bytes: 15,
		dns_us: o.dns_us ?? 1000, connect_us: o.connect_us ?? 2000, tls_us: o.tls_us ?? 0,
		processing_us: o.processing_us ?? 40000, transfer_us: o.transfer_us ?? 500,
		total_us: o.total_us ?? 43500, attempts: 1, cert_not_after: o.cert_not_after ?? null,
	};
}

class Fleet {
	constructor(name) {
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `vantage-${name}-`));
		this.procs = [];
	}

	file(name, text) {
		const f = path.join(this.dir, name);
		fs.writeFileSync(f, typeof text === 'string' ? text : JSON.stringify(text, null, 2));
		return f;
	}

	spawn(name, bin, args) {
		if (!fs.existsSync(bin))
			throw new Error(`${bin} is not built`);
		const log = path.join(this.dir, `${name}.log`);
		const fd = fs.openSync(log, 'a');
		const p = spawn(bin, args, { stdio: ['ignore', fd, fd], cwd: this.dir });
		fs.closeSync(fd);
		const proc = { name, p, log, exited: null };
		p.on('exit', (code, sig) => { proc.exited = sig || code; });
		this.procs.push(proc);
		return proc;
	}

	// The port a daemon wrote to its port file once listening.
	async port(proc, portfile) {
		return waitFor(() => {
			if (proc.exited !== null)
				throw new Error(`${proc.name} exited (${proc.exited}):\n${this.tail(proc)}`);
			const s = fs.existsSync(portfile) ? fs.readFileSync(portfile, 'utf8') : '';
			return /^\d+\n/.test(s) ? Number(s.split('\n')[0]) : 0;
		}, { timeout: 15000, every: 50, what: `${proc.name} to listen` });
	}

	async collector(config, { name = 'collector', evaluateEvery = '1s' } = {}) {
		const cfg = this.file(`${name}.json`, { listen: '127.0.0.1:0',
		    db: path.join(this.dir, `${name}.db`), ...config });
		const pf = path.join(this.dir, `${name}.port`);
		const proc = this.spawn(name, BIN.collector, ['-c', cfg, '--portfile', pf,
		    '--evaluate-every', evaluateEvery]);
		const port = await this.port(proc, pf);
		return { url: `http://127.0.0.1:${port}`, proc };
	}

	async agent({ id, region, provider = 'test', key, collector, pullEvery = '1s' }) {
		const cfg = this.file(`agent-${id}.json`, {
			agent: { id, region, provider, db: path.join(this.dir, `agent-${id}.db`),
			    listen: '127.0.0.1:0' },
			collector: { url: collector, key, pull_every: pullEvery, timeout: '5s' },
		});
		const pf = path.join(this.dir, `agent-${id}.port`);
		const proc = this.spawn(`agent-${id}`, BIN.agent, ['-c', cfg, '--portfile', pf]);
		await this.port(proc, pf);
		return proc;
	}

	// dist/demo/demo-origin: /healthz answers {"status":"ok",...} until
	// POST /_control?mode=down.
	async origin(name) {
		const site = path.join(this.dir, `site-${name}`);
		fs.mkdirSync(site, { recursive: true });
		fs.writeFileSync(path.join(site, 'index.html'), '<p>fixture</p>\n');
		const pf = path.join(this.dir, `origin-${name}.port`);
		const proc = this.spawn(`origin-${name}`, BIN.origin, ['--name', name, '--site', site,
		    '--portfile', pf]);
		const port = await this.port(proc, pf);
		const url = `http://127.0.0.1:${port}`;
		return {
			url, proc,
			async mode(m) {
				const r = await fetch(`${url}/_control?mode=${m}`, { method: 'POST' });
				if (!r.ok)
					throw new Error(`${name}: /_control?mode=${m}: ${r.status}`);
			},
		};
	}

	tail(proc, lines = 30) {
		try {
			return fs.readFileSync(proc.log, 'utf8').split('\n').slice(-lines).join('\n');
		} catch {
			return '(no log)';
		}
	}

	logs() {
		return this.procs.map(p => `---- ${p.name} (${p.log}) ----\n${this.tail(p)}`).join('\n');
	}

	// Stop what this fleet started (by pid: SIGTERM, then SIGKILL after
	// 8 s). Every daemon exits 0 after SIGTERM; returns a description of
	// those that did not (a crash, a sanitizer's report) with their logs, []
	// when all did. The directory is removed unless keep, or one failed.
	async stop({ keep = false } = {}) {
		for (const proc of this.procs)
			if (proc.exited === null)
				proc.p.kill('SIGTERM');
		const end = Date.now() + 8000;
		while (this.procs.some(p => p.exited === null) && Date.now() < end)
			await sleep(50);
		for (const proc of this.procs)
			if (proc.exited === null)
				proc.p.kill('SIGKILL');
		while (this.procs.some(p => p.exited === null))
			await sleep(20);
		const bad = this.procs.filter(p => p.exited !== 0)
		    .map(p => `${p.name} exited ${p.exited}:\n${this.tail(p, 60)}`);
		if (!keep && bad.length === 0)
			fs.rmSync(this.dir, { recursive: true, force: true });
		return bad;
	}
}

// Headless Chromium driven by playwright-core (never a downloaded browser).
async function launchChromium() {
	const { chromium } = require('playwright-core');
	const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
	if (!fs.existsSync(executablePath))
		throw new Error(`${executablePath} is missing: apt-get install chromium ` +
		    '(scripts/install-deps.sh test), or set CHROMIUM');
	return chromium.launch({ executablePath, headless: true,
	    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

module.exports = { Fleet, waitFor, sleep, signHeader, ingest, record, launchChromium, BIN };
