// The inspector page: the route table comes in the HTML itself (rendered by the emulator, so it shows
// at once); this script adds the recent requests by polling, newest first.
// Everything from the API is put in the page with textContent, never as HTML.
"use strict";

const API = "/_emu/api";
// Sent with every call that changes something: a page on another site cannot send it (see routes.py).
const GUARD = { "X-Apig-Emu": "1" };
const POLL_MS = 1000;
// As many as the emulator keeps by default: older entries leave the page as they leave its memory.
const MAX_SHOWN = 200;
let lastId = 0;
const open = new Set();

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setStatus(text, down) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("down", Boolean(down));
}

// The emulator's own marker for what it cut (emulator/inspector/truncation.py).
function truncated(bytes) {
  return `…[truncated ${bytes.toLocaleString("en-US")} bytes]`;
}

function headersText(headers) {
  // A pair with no value is the emulator's marker for headers it left out.
  return headers.map(([name, value]) => (value === "" ? name : `${name}: ${value}`)).join("\n");
}

function shownBytes(part) {
  if (part.bodyEncoding === "text") return new TextEncoder().encode(part.body).length;
  return atob(part.body).length;
}

function bodyText(part) {
  if (!part.bodyLength) return "(empty body)";
  let text = part.body;
  if (part.bodyEncoding === "text") {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON, or cut: as sent */ }
  } else {
    text = `(binary, base64) ${text}`;
  }
  return part.bodyTruncated ? `${text}${truncated(part.bodyLength - shownBytes(part))}` : text;
}

// An event or error object too large for the emulator to keep whole arrives as its JSON text, cut.
function jsonText(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function pane(title, content) {
  return el("div", { class: "pane" }, el("h3", {}, title), el("pre", {}, content));
}

function renderDetails(rec) {
  const details = el("div", { class: "details" });
  details.append(
    el("p", { class: `cors-verdict ${rec.cors.allowed ? "allowed" : "blocked"}` },
      rec.cors.allowed ? "CORS: " : "CORS: ", rec.cors.reason),
  );
  if (rec.authorization) {
    details.append(el("p", { class: "authorization" }, "Authorization: ", rec.authorization));
  }
  if (rec.gatewayError) {
    details.append(el("p", { class: "gateway-error" },
      `Gateway answered ${rec.gatewayError.status} (${rec.gatewayError.type}): ${rec.gatewayError.reason}`));
  }
  const panes = el("div", { class: "panes" });
  if (rec.request) {
    const target = rec.request.path + (rec.request.query ? "?" + rec.request.query : "");
    panes.append(pane("Request", `${rec.request.method} ${target}\n${headersText(rec.request.headers)}\n\n${bodyText(rec.request)}`));
  }
  if (rec.route) {
    const r = rec.route;
    panes.append(pane("Route", `${r.method} ${r.resource} (stage ${r.stage}) on ${r.api} (${r.apiId})\nintegration: ${r.integration}${r.target ? "\ntarget: " + r.target : ""}`));
  }
  if (rec.authorizer) {
    const a = rec.authorizer;
    let said = a.answer;
    if (typeof a.functionError === "string") said = `function error: ${a.functionError}`;
    else if (a.functionError) said = `function error: ${a.functionError.errorType}: ${a.functionError.errorMessage}`;
    const logs = a.logs.length ? a.logs.join("\n") : "(no output)";
    panes.append(pane(`Authorizer ${a.function}`, `${jsonText(a.event)}\n\nanswered:\n${said}\n\n${logs}`));
  }
  if (rec.event !== null && rec.event !== undefined) {
    panes.append(pane("Event", jsonText(rec.event)));
  }
  if (rec.integrationRequest) {
    const sent = rec.integrationRequest;
    panes.append(pane("Integration request", `${sent.method} ${sent.url}\n${headersText(sent.headers)}\n\n${bodyText(sent)}`));
  }
  if (rec.integrationResponse) {
    const got = rec.integrationResponse;
    panes.append(pane("Integration response", `${got.status}\n${headersText(got.headers)}\n\n${bodyText(got)}`));
  }
  if (rec.function) {
    let logs = rec.logs.length ? rec.logs.join("\n") : "(no output)";
    const error = rec.functionError;
    if (typeof error === "string") logs += `\n\nfunction error: ${error}`;
    else if (error) logs += `\n\nfunction error: ${error.errorType}: ${error.errorMessage}`;
    if (rec.traceback) logs += `\n\n${rec.traceback}`;
    panes.append(pane(`Logs of ${rec.function}`, logs));
  }
  panes.append(pane("Response", `${rec.response.status}\n${headersText(rec.response.headers)}\n\n${bodyText(rec.response)}`));
  details.append(panes);
  const actions = el("div", { class: "actions" });
  const replay = el("button", { class: "replay", type: "button", disabled: !rec.replayable }, "Replay");
  replay.addEventListener("click", async (event) => {
    event.stopPropagation();
    replay.disabled = true;
    try {
      await fetch(`${API}/invocations/${rec.id}/replay`, { method: "POST", headers: GUARD });
      await poll();
    } finally {
      replay.disabled = !rec.replayable;
    }
  });
  actions.append(replay, el("span", { class: "dim mono" }, `request id ${rec.requestId} · ${rec.durationMs} ms`));
  details.append(actions);
  return details;
}

function renderRecord(rec) {
  const item = el("li", { class: "invocation fresh", "data-id": String(rec.id) });
  const status = rec.response.status;
  const method = rec.request ? rec.request.method : "?";
  const path = rec.request ? rec.request.path + (rec.request.query ? "?" + rec.request.query : "") : "(unreadable request)";
  const target = rec.route ? `${rec.route.integration}${rec.route.target ? " · " + rec.route.target : ""}` : "no route";
  const summary = el("div", { class: "summary" },
    el("span", { class: "dim mono" }, rec.time.slice(11, 23)),
    el("span", { class: "mono method" }, method),
    el("span", { class: "mono path", title: path }, path,
      rec.replayOf ? el("span", { class: "replay-of" }, `  ↻ replay of #${rec.replayOf}`) : null),
    el("span", { class: `status-code s${String(status)[0]}` }, status),
    el("span", { class: "dim" }, target),
    el("span", { class: `verdict ${rec.cors.allowed ? "allowed" : "blocked"}`, title: rec.cors.reason },
      rec.cors.allowed ? "✔ browser can read" : "✖ browser blocks"),
  );
  // The details are built when first opened: most entries never are, and each can hold ~0.5 MB.
  const showDetails = () => {
    if (!item.querySelector(".details")) item.append(renderDetails(rec));
  };
  summary.addEventListener("click", () => {
    showDetails();
    item.classList.toggle("open");
    if (item.classList.contains("open")) open.add(rec.id); else open.delete(rec.id);
  });
  item.append(summary);
  if (open.has(rec.id)) {
    showDetails();
    item.classList.add("open");
  }
  return item;
}

// The URL of the next page, from the answer's `Link: <url>; rel="next"` header, or null.
function nextPage(response) {
  const match = /<([^>]*)>;\s*rel="next"/.exec(response.headers.get("Link") || "");
  return match ? match[1] : null;
}

// Every record newer than `after`, newest first, page by page.
async function newerThan(after) {
  const records = [];
  let url = `${API}/invocations?after=${after}`;
  while (url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status} from ${url}`);
    records.push(...await response.json());
    url = nextPage(response);
  }
  return records;
}

async function poll() {
  try {
    const records = await newerThan(lastId);
    setStatus("live", false);
    if (!records.length) return;
    const list = document.getElementById("invocations");
    // Newest first: the records are newest first, so prepend from the oldest.
    for (const rec of records.slice().reverse()) {
      if (rec.id <= lastId) continue; // a replay's poll and the timer's may overlap
      list.prepend(renderRecord(rec));
      lastId = Math.max(lastId, rec.id);
    }
    while (list.children.length > MAX_SHOWN) {
      open.delete(Number(list.lastElementChild.dataset.id));
      list.lastElementChild.remove();
    }
    document.getElementById("empty").hidden = list.children.length > 0;
  } catch (_) {
    setStatus("emulator not reachable — retrying", true);
  }
}

async function main() {
  document.getElementById("clear").addEventListener("click", async () => {
    await fetch(`${API}/invocations`, { method: "DELETE", headers: GUARD });
    document.getElementById("invocations").replaceChildren();
    document.getElementById("empty").hidden = false;
  });
  await poll();
  setInterval(poll, POLL_MS);
}

document.addEventListener("DOMContentLoaded", main);
