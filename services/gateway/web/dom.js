/**
 * Element building and number formats for the page. Data only ever becomes text nodes and
 * attribute values, never markup: nothing here parses HTML.
 */

/** `h("li", {class: "x", onclick: f}, "text", child)`; false/undefined attributes are left out. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.filter((c) => c !== undefined && c !== null && c !== false).map(asChild));
  return element;
}

function asChild(child) {
  return child instanceof Node ? child : String(child);
}

export function byId(id) {
  return document.getElementById(id);
}

/** Plays a CSS animation class once more, even if it is already set. */
export function flash(element, className) {
  element.classList.remove(className);
  void element.offsetWidth;
  element.classList.add(className);
}

/** Credits: at most 2 decimals by the protocol; always shown with 2. */
export const credits = (n) => n.toFixed(2);
export const price = (p) => p.toFixed(3);
/** A gain or a loss in credits: "+1.25", "−0.40" (a true minus sign), "0.00". */
export const signed = (n) => `${n > 0 ? "+" : n < 0 ? "−" : ""}${Math.abs(n).toFixed(2)}`;

export function kickoffTime(iso) {
  return new Date(iso).toLocaleString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** JSON of a tool's input or output, cut short for a one-line summary. */
export function summary(value, max = 160) {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `fetch` for the JSON API: the parsed body, or an Error with the protocol's message and code. */
export async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: {
      accept: "application/json",
      ...(init.body ? { "content-type": "application/json" } : {}),
      ...init.headers,
    },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error?.message ?? `${path}: HTTP ${response.status}`);
    error.code = body.error?.code;
    throw error;
  }
  return body;
}
