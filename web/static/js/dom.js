// dom: build DOM from data without ever parsing HTML. Strings become text
// nodes (el.append, textContent) and attribute values (setAttribute), so a
// check named <img src=x onerror=alert(1)> shows as those characters.

// h('a', {href, class, text, onclick, dataset, style}, ...children)
export function h(tag, props, ...kids) {
	const el = document.createElement(tag);
	if (props) {
		for (const [k, v] of Object.entries(props)) {
			if (v === undefined || v === null || v === false)
				continue;
			if (k === 'class')
				el.className = v;
			else if (k === 'text')
				el.textContent = v;
			else if (k === 'dataset')
				Object.assign(el.dataset, v);
			else if (k === 'style')	// CSSOM: allowed by the CSP
				for (const [p, x] of Object.entries(v))
					el.style.setProperty(p.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`), x);
			else if (k.startsWith('on'))
				el.addEventListener(k.slice(2), v);
			else
				el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	add(el, kids);
	return el;
}

function add(el, kids) {
	for (const k of kids) {
		if (k === undefined || k === null || k === false)
			continue;
		if (Array.isArray(k))
			add(el, k);
		else
			el.append(k instanceof Node ? k : String(k));
	}
}

// Replace el's children in one step (no flicker: the browser paints after).
export function swap(el, ...kids) {
	const f = document.createDocumentFragment();
	add(f, kids);
	el.replaceChildren(f);
	return el;
}

// A status icon with its words, so colour is never the only signal.
const ICONS = { ok: '✓', fail: '✗', stale: '◷', none: '–', warn: '!', inconclusive: '?' };
export function icon(state, label) {
	return h('span', { class: `icon s-${state}`, 'aria-hidden': 'true',
	    title: label }, ICONS[state] || '?');
}
