// Driver for typescript-axios-style Node SDKs: `node driver.mjs <installed SDK package folder>`.
//
// Speaks the SDK gate's JSON-lines protocol (docs/sdk-gate.md) on stdin/stdout. It calls the SDK as the
// contract page shows, nothing more:
//   const config = new Configuration({accessToken, basePath, baseOptions: {headers: {"x-fax-clientid": id}}});
//   const req = await WebhooksApiFp(config).createWebhook({webhook});   // or (webhook), see callShape()
//   const resp = await req(axios);
// The SDK's TypeScript declarations (when it ships them) say what a TypeScript user can write: a key the
// Webhook interface lacks is `unsupported`, a null the property's type refuses or an event outside the
// enum is a note. It must not import anything of the gate.

import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { createRequire } from "node:module";

const PACKAGE_DIR = path.resolve(process.argv[2] || ".");
const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8"));
const require = createRequire(path.join(PACKAGE_DIR, "package.json"));

let sdk = null;
let axios = null;
function load() {
  if (sdk === null) {
    sdk = require(PACKAGE_DIR);
    try {
      axios = require("axios"); // the axios the SDK resolves: the one a user of the SDK imports
    } catch {
      axios = undefined; // an SDK without axios: req() uses its own default
    }
  }
  return sdk;
}

// --- what TypeScript lets a user write, from the shipped .d.ts -----------------------------------------
function declarations(dir, depth = 0) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && depth < 4) out.push(declarations(full, depth + 1));
    else if (entry.name.endsWith(".d.ts")) out.push(fs.readFileSync(full, "utf8"));
  }
  return out.join("\n");
}

function block(text, pattern) {
  const start = text.search(pattern);
  if (start < 0) return null;
  const open = text.indexOf("{", start);
  let level = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") level++;
    if (text[i] === "}" && --level === 0) return text.slice(open + 1, i);
  }
  return null;
}

function typesOf(text) {
  const body = block(text, /(?:interface|type)\s+Webhook\s*(?:=\s*)?\{/);
  if (body === null) return null;
  const props = {};
  const clean = body.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  for (const m of clean.matchAll(/(?:readonly\s+)?['"]?([A-Za-z_$][\w$]*)['"]?\s*(\?)?\s*:\s*([^;]+);/g)) {
    props[m[1]] = { optional: m[2] === "?", type: m[3].trim() };
  }
  const enumBody = block(text, /(?:const|enum)\s+WebhookEventType\s*[:=]?\s*\{/);
  const events = enumBody === null ? null : [...enumBody.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return { props, events };
}

let typed;
function types() {
  if (typed === undefined) typed = typesOf(declarations(PACKAGE_DIR));
  return typed;
}

function typeGaps(webhook) {
  const t = types();
  if (t === null) return { notes: [] };
  const notes = [];
  for (const [key, value] of Object.entries(webhook)) {
    const prop = t.props[key];
    if (prop === undefined) {
      return {
        notes: [],
        unsupported:
          `TypeScript: interface Webhook has no property '${key}' (it declares ${Object.keys(t.props).join(", ")}); ` +
          `an object literal with it does not compile (excess property check)`,
      };
    }
    if (value === null && !/\bnull\b/.test(prop.type) && !/\bany\b/.test(prop.type)) {
      notes.push({
        check: "typed-null",
        message: `TypeScript: Webhook.${key} is declared '${prop.type}', without '| null': '${key}: null' does not ` +
          `compile under strictNullChecks (plain JavaScript can send it; omitting the key means the same)`,
      });
    }
  }
  if (t.events && "event" in webhook && !t.events.includes(webhook.event)) {
    notes.push({
      check: "typed-event",
      message: `TypeScript: event '${webhook.event}' is not a member of WebhookEventType (${t.events.join(", ")}); ` +
        `only an 'as any' cast passes it`,
    });
  }
  return { notes };
}

// --- the call ---------------------------------------------------------------------------------------------
function callShape(api) {
  // The single request parameter ({webhook}) or the Webhook itself: the declaration or the compiled
  // function's first parameter says which (typescript-axios names it `requestParameters` or `webhook`).
  const source = String(api.createWebhook);
  const first = (source.match(/^[^(]*\(\s*([A-Za-z_$][\w$]*)/) || [])[1] || "";
  return /^requestParameters/.test(first) ? "single" : "positional";
}

const js = (value) => JSON.stringify(value);

function snippet(request, shape) {
  const options = [`accessToken: ${js(request.token)}`, `basePath: ${js(request.base_url)}`];
  if (request.client_id) options.push(`baseOptions: {headers: {"x-fax-clientid": ${js(request.client_id)}}}`);
  const argument = shape === "single" ? `{webhook: ${js(request.webhook)}}` : js(request.webhook);
  return [
    'import axios from "axios";',
    `import { Configuration, WebhooksApiFp } from ${js(manifest.name)};`,
    `const config = new Configuration({${options.join(", ")}});`,
    `const req = await WebhooksApiFp(config).createWebhook(${argument});`,
    "const resp = await req(axios);",
    "console.log(resp.status, resp.data);",
  ].join("\n");
}

function errorAnswer(e) {
  const response = e && e.response;
  const answer = { ok: false, exception: `${(e && e.name) || "Error"}: ${(e && e.message) || e}`.slice(0, 600) };
  if (!response) return { ...answer, status: null, code: (e && e.code) || null };
  const data = response.data;
  const fields = data && typeof data === "object" && !Array.isArray(data) ? data : {};
  return {
    ...answer,
    status: typeof response.status === "number" ? response.status : null,
    error: fields.error ?? null,
    description: fields.description ?? null,
    body: typeof data === "string" ? data : js(data),
  };
}

async function register(request) {
  const { Configuration, WebhooksApiFp } = load();
  if (typeof WebhooksApiFp !== "function" || typeof Configuration !== "function") {
    return { unsupported: `${manifest.name} exports no WebhooksApiFp/Configuration (not a typescript-axios SDK)` };
  }
  const gaps = typeGaps(request.webhook);
  const parameters = { accessToken: request.token, basePath: request.base_url };
  if (request.client_id) parameters.baseOptions = { headers: { "x-fax-clientid": request.client_id } };
  const api = WebhooksApiFp(new Configuration(parameters));
  const shape = callShape(api);
  const notes = [...gaps.notes];
  if (shape === "positional") {
    notes.push({
      check: "call-shape",
      message: "WebhooksApiFp(config).createWebhook takes the Webhook itself, not {webhook}: the contract page's " +
        "createWebhook({webhook: {...}}) would send {\"webhook\": {...}} (only WebhooksApi and " +
        "WebhooksApiFactory take the single request parameter)",
    });
  }
  const call = snippet(request, shape);
  if (gaps.unsupported) return { unsupported: gaps.unsupported, call, notes };
  let req;
  try {
    req = await api.createWebhook(shape === "single" ? { webhook: request.webhook } : request.webhook);
  } catch (e) {
    return { ...errorAnswer(e), call, notes }; // refused before sending (e.g. a RequiredError)
  }
  try {
    const resp = await req(axios);
    const data = resp && resp.data;
    const id = data && typeof data === "object" ? data.id : undefined;
    return { ok: true, id: id === undefined ? null : id, status: resp && resp.status, call, notes };
  } catch (e) {
    return { ...errorAnswer(e), call, notes };
  }
}

async function answer(request) {
  if (request.op === "hello") {
    load();
    return { ok: true, sdk: manifest.name, version: manifest.version ?? null, language: "node" };
  }
  if (request.op === "register") return register(request);
  return { unsupported: `unknown op ${js(request.op)}` };
}

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  try {
    out(await answer(JSON.parse(line)));
  } catch (e) {
    out({ crash: `${(e && e.name) || "Error"}: ${(e && e.message) || e}`, trace: String((e && e.stack) || "").slice(-2000) });
  }
}
