// Calls the example API from another origin; what the browser lets this page read is what it will on AWS.
"use strict";

// ?api=http://127.0.0.1:3000/Prod points the page elsewhere; the default is `apig-emu serve`'s.
const API = new URLSearchParams(location.search).get("api") || "http://localhost:3000/Prod";
const ORIGIN = new URL(API).origin;

async function show(id, request) {
  const out = document.getElementById("out-" + id);
  out.className = "";
  out.textContent = "…";
  try {
    const response = await request();
    out.className = "ok";
    out.textContent = `${response.status} ${await response.text()}`;
  } catch (error) {
    // All a page learns of a CORS failure: the reason is only in the console (and the inspector).
    out.className = "blocked";
    out.textContent = `blocked by the browser (${error.name}: ${error.message}); the inspector says why`;
  }
}

const calls = {
  item: () => fetch(`${API}/items/1`),
  // JSON is not a "simple" content type: the browser sends a preflight OPTIONS first.
  greet: () => fetch(`${API}/smartpath`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "Ann" }),
  }),
  orders: () => fetch(`${API}/orders`),
  broken: () => fetch(`${API}/broken`),
  "wrong-stage": () => fetch(`${ORIGIN}/Dev/items/1`),
};

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("api").textContent = API;
  document.getElementById("inspector").href = `${ORIGIN}/_emu/`;
  for (const [id, request] of Object.entries(calls)) {
    document.getElementById(id).addEventListener("click", () => show(id, request));
  }
});
