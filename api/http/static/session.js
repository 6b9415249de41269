// The signed-in session of the reviewer's and the auditor's screens (review.js, audit.js): the
// token kept in this tab, the JSON API with it, downloads that need it, sign-in and the GOV.UK
// error messages. Every value is written as text (dom.js's el), never as HTML.

import { el } from "./dom.js";
import { ErrorSummary, initAll } from "./vendor/govuk-frontend/govuk-frontend.min.js";

// The same key as the case page's (app.js), so one sign-in serves every screen of the tab.
const TOKEN_KEY = "foresight.token";
export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function urlOf(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "" && value !== false) url.searchParams.set(key, value);
  }
  return url;
}

async function request(path, { params, method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(urlOf(path, params), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
  return response;
}

// The JSON of a GET (params as the query) or of a POST (body as JSON).
export async function api(path, options = {}) {
  return (await request(path, options)).json();
}

// The JSON and the response's headers (X-Total-Count for paging).
export async function apiWithHeaders(path, options = {}) {
  const response = await request(path, options);
  return { body: await response.json(), headers: response.headers };
}

// A download that needs the bearer header (a plain link would be refused with 401): fetched
// as a blob and saved under the name the server gives.
export async function download(path, params, fallbackName) {
  const response = await request(path, { params });
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] || fallbackName;
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return name;
}

// ---------------------------------------------------------------- errors, the GOV.UK way

export function showProblems(problems) {
  // "There is a problem", each problem linking to its field; nothing when the list is empty.
  const place = $("problems");
  place.replaceChildren();
  if (!problems.length) return;
  const list = el("ul", { class: "govuk-list govuk-error-summary__list" });
  for (const { text, field } of problems) {
    list.append(el("li", {}, field ? el("a", { href: `#${field}` }, text) : text));
  }
  const summary = el("div", { class: "govuk-error-summary", "data-module": "govuk-error-summary" },
    el("div", { role: "alert" },
      el("h2", { class: "govuk-error-summary__title" }, "There is a problem"),
      el("div", { class: "govuk-error-summary__body" }, list)));
  place.append(summary);
  new ErrorSummary(summary);
}

export function fieldError(inputId, text) {
  // A GOV.UK error message beside the field (none when text is empty), announced with it.
  const input = $(inputId);
  const group = input.closest(".govuk-form-group");
  const errorId = `${inputId}-error`;
  document.getElementById(errorId)?.remove();
  const describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== errorId);
  group.classList.toggle("govuk-form-group--error", Boolean(text));
  const errorClass = { SELECT: "govuk-select--error", TEXTAREA: "govuk-textarea--error" }[input.tagName] || "govuk-input--error";
  if (input.matches("input, select, textarea")) input.classList.toggle(errorClass, Boolean(text));
  if (text) {
    const message = el("p", { id: errorId, class: "govuk-error-message" },
      el("span", { class: "govuk-visually-hidden" }, "Error: "), text);
    // As the GOV.UK Design System places it: after the hint, else after the label (or the
    // heading wrapping it) or legend.
    const hint = group.querySelector(".govuk-hint");
    const label = group.querySelector(`label[for="${inputId}"], legend`);
    (hint || label?.closest(".govuk-label-wrapper") || label || input).after(message);
    describedBy.push(errorId);
  }
  if (describedBy.length) input.setAttribute("aria-describedby", describedBy.join(" "));
  else input.removeAttribute("aria-describedby");
}

// The problem's errors[] shown beside their fields (`fields` maps the API's field name, its
// last part, to an input id) and in the summary; a problem naming no known field goes to the
// summary alone, linked to `fallback` if given.
export function showApiProblem(error, fields, fallback) {
  const found = [];
  for (const item of error.problem?.errors || []) {
    const name = String(item.field || "").split(".").pop().replace(/\[\d+\]$/, "");
    if (fields[name]) found.push({ text: item.reason || error.message, field: fields[name] });
  }
  for (const id of Object.values(fields)) fieldError(id, "");
  for (const { text, field } of found) fieldError(field, text);
  showProblems(found.length ? found : [{ text: error.message, field: fallback }]);
}

// ---------------------------------------------------------------- single sign-on

// Signed in with the organisation's account, the browser sends the session cookie by itself
// (fetch's default credentials: "same-origin") and no bearer token is kept. Every change
// must then carry the session's CSRF token, which the server put in a cookie this script may
// read: one wrapper of fetch adds it to every same-origin POST, PUT, PATCH and DELETE, for
// this page's modules and every other's alike.
const CSRF_COOKIE = "foresight_csrf";
const CHANGES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function csrfToken() {
  const pair = document.cookie.split("; ").find((item) => item.startsWith(`${CSRF_COOKIE}=`));
  return pair ? decodeURIComponent(pair.slice(CSRF_COOKIE.length + 1)) : "";
}

const plainFetch = window.fetch.bind(window);
window.fetch = (resource, init = {}) => {
  const method = String(init.method || (resource instanceof Request ? resource.method : "GET")).toUpperCase();
  const url = new URL(resource instanceof Request ? resource.url : String(resource), window.location.href);
  const token = csrfToken();
  if (!token || !CHANGES.has(method) || url.origin !== window.location.origin) return plainFetch(resource, init);
  const headers = new Headers(init.headers || (resource instanceof Request ? resource.headers : undefined));
  headers.set("X-CSRF-Token", token);
  return plainFetch(resource, { ...init, headers });
};

// Whether this browser holds a session from the organisation's sign-in (its CSRF cookie).
export function hasSession() {
  return Boolean(csrfToken());
}

// Sign out: the session ends on the server (its cookie is refused from then on) and the
// bearer token, if any, is forgotten by this tab.
export async function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (hasSession()) {
    await fetch("/auth/logout", { method: "POST" }).catch(() => undefined);
    forgetSession();
  }
  window.location.assign("/ui");
}

// A session the server no longer knows (ended or expired): forget its CSRF cookie.
export function forgetSession() {
  document.cookie = `${CSRF_COOKIE}=; Max-Age=0; path=/`;
}

// "Sign in with your organisation's account" under the token form, when the server offers it.
export async function offerOrganisationSignIn(place) {
  const options = await fetch("/auth/options").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  if (!options.organisation_sign_in || document.getElementById("organisation-sign-in")) return;
  place.append(el("p", { id: "organisation-sign-in", class: "govuk-body" },
    el("a", { class: "govuk-link", href: `/auth/login?next=${encodeURIComponent(here())}` },
      "Sign in with your organisation's account")));
}

// The page and query to come back to after signing in with the organisation's account.
function here() {
  return window.location.pathname + window.location.search;
}

// ---------------------------------------------------------------- signing in

function signInForm() {
  // The same sign-in as the case page's: a token kept in this tab only.
  return el("section", { id: "login", "aria-labelledby": "login-title" },
    el("h1", { id: "login-title", class: "govuk-heading-l" }, "Sign in"),
    el("form", { id: "login-form", novalidate: true },
      el("div", { class: "govuk-form-group" },
        el("label", { class: "govuk-label", for: "token" }, "Token"),
        el("div", { id: "token-hint", class: "govuk-hint" },
          "From foresight users add, or printed by foresight demo. It is kept in this browser tab only."),
        el("input", { class: "govuk-input", id: "token", type: "password", autocomplete: "off",
          spellcheck: "false", "aria-describedby": "token-hint" })),
      el("button", { type: "submit", class: "govuk-button", "data-module": "govuk-button" }, "Sign in")));
}

// The signed-in user ({name, role, agency}), asking for a token first when the tab has none
// or it is refused. Shows who is signed in, and signing out, in the header.
export async function signedIn() {
  document.body.classList.add("govuk-frontend-supported");
  initAll();
  $("sign-out").addEventListener("click", signOut);
  for (;;) {
    if (sessionStorage.getItem(TOKEN_KEY) || hasSession()) {
      try {
        const me = await api("/me");
        $("who").textContent = `${me.name} · ${me.role} · ${me.agency}`;
        $("sign-out").hidden = false;
        $("login")?.remove();
        showProblems([]);
        return me;
      } catch (error) {
        sessionStorage.removeItem(TOKEN_KEY);
        if (error.status !== 401) throw error;
        forgetSession();  // only when refused: on a 503 the session may be fine
      }
    }
    await askForToken(Boolean($("login")));
  }
}

function askForToken(refused) {
  const main = $("content");
  main.hidden = true;
  if (!$("login")) {
    main.before(signInForm());
    offerOrganisationSignIn($("login"));
  }
  document.title = "Sign in · Foresight";
  if (refused) {
    const text = "That token was not accepted: check it and sign in again";
    fieldError("token", text);
    showProblems([{ text, field: "token" }]);
  }
  return new Promise((resolve) => {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      if (!token) {
        fieldError("token", "Enter your token");
        showProblems([{ text: "Enter your token", field: "token" }]);
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, token);
      main.hidden = false;
      resolve();
    }, { once: false });
  });
}

// ---------------------------------------------------------------- dates, the UK way

const LONDON = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

// An instant as London wall time "2024-03-15T10:15" (what the API reads back as London time).
export function londonWallTime(iso) {
  const parts = Object.fromEntries(LONDON.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
