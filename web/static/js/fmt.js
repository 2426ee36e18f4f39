// fmt: how numbers, times and states are written (one place, so tests and
// the pages agree).

export const LAYERS = ['front_door', 'edge', 'central', 'other'];
const LAYER_NAMES = { front_door: 'front door', edge: 'edge', central: 'central',
	other: 'other' };
export function layerName(l) {
	return l ? (LAYER_NAMES[l] || l) : 'no layer';
}
export function layerRank(l) {
	const i = LAYERS.indexOf(l);
	return i < 0 ? LAYERS.length : i;
}

// A ratio as a percentage: 0.99953 -> "99.953 %"; null -> "no data".
export function pct(v, digits = 3) {
	if (v === null || v === undefined || !isFinite(v))
		return 'no data';
	return `${(v * 100).toFixed(digits)} %`;
}

// An objective: 0.9995 -> "99.95 %" (as many digits as it has).
export function objective(v) {
	return `${+(v * 100).toFixed(4)} %`;
}

// Budget remaining: 0.42 -> "42.0 %", -9 -> "-900.0 %".
export function budget(v) {
	return pct(v, 1);
}

// A burn rate: 10 -> "10.0×", null -> "–".
export function burn(v) {
	if (v === null || v === undefined || !isFinite(v))
		return '–';
	return `${v < 10 ? v.toFixed(2) : v.toFixed(1)}×`;
}

// Milliseconds of latency: 143.4 -> "143 ms", 1234 -> "1.23 s".
export function ms(v) {
	if (v === null || v === undefined || !isFinite(v))
		return '–';
	if (v < 10)
		return `${v.toFixed(1)} ms`;
	if (v < 1000)
		return `${Math.round(v)} ms`;
	return `${(v / 1000).toFixed(2)} s`;
}

// An age: 12000 -> "12 s", 180000 -> "3 min".
export function age(v) {
	if (v === null || v === undefined || !isFinite(v))
		return 'never';
	const s = Math.max(0, Math.round(v / 1000));
	if (s < 120)
		return `${s} s`;
	if (s < 7200)
		return `${Math.round(s / 60)} min`;
	if (s < 172800)
		return `${Math.round(s / 3600)} h`;
	return `${Math.round(s / 86400)} d`;
}

// A wall-clock time, local: "14:03:07", with the date when not today.
export function time(ts) {
	const d = new Date(ts), now = new Date();
	const t = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit',
	    second: '2-digit', hour12: false });
	if (d.toDateString() === now.toDateString())
		return t;
	return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${t}`;
}

export function count(n, one, many) {
	return `${n} ${n === 1 ? one : (many || one + 's')}`;
}

// The outcome letters of /api/v1/matrix "recent" strings.
export const OUTCOMES = { '+': 'passed', d: 'dns', c: 'connect', s: 'tls',
	t: 'timeout', h: 'http_status', a: 'assertion', b: 'body', i: 'internal',
	v: 'consistency', '?': 'inconclusive' };

// Ranges of the time-series pages, the step each reads, and how often its
// series are fetched again (a day or a month of rollups changes slowly and
// costs the collector more to read than the page's other parts).
export const RANGES = {
	'1h': { ms: 3600e3, step: '1m', every: 0 },
	'24h': { ms: 86400e3, step: '5m', every: 60e3 },
	'7d': { ms: 7 * 86400e3, step: '1h', every: 300e3 },
	'30d': { ms: 30 * 86400e3, step: '6h', every: 300e3 },
};

// Remember an answer for a while: cached(key, maxAgeMs, () => promise).
export function cache() {
	let memo = { key: null, at: 0, value: null };
	return async (key, maxAge, fetch) => {
		const now = Date.now();
		if (memo.key === key && now - memo.at < maxAge)
			return memo.value;
		const value = await fetch();
		memo = { key, at: now, value };
		return value;
	};
}
