// The Foresight web page: replays a case as known at any time, through the JSON API only.
// Every value from the record is written with textContent, never as HTML.

import { describeEntry } from "./describe.js";
import { setUpRecording } from "./recording.js";
import { setUpPeople } from "./people.js";
import { setUpImport } from "./importing.js";

const TOKEN_KEY = "foresight.token";
const ZONE = "Europe/London";
const $ = (id) => document.getElementById(id);

const state = {
  me: null,
  caseId: null,
  moments: [],      // every known_at of the case, ascending (the slider's stops)
  asKnownAt: null,  // null means now
  agency: "",
  significance: "",
  showRetracted: false,
  entries: [],
  timeline: null,
  items: null,
  groups: null,
};

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// ---------------------------------------------------------------- time

const londonParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

function londonInput(iso) {
  // An instant as the value of a datetime-local input, in London wall time.
  const parts = Object.fromEntries(londonParts.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

function shown(value) {
  // A date stays a date; an instant is shown in London wall time.
  if (!value) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return londonInput(value).replace("T", " ");
}

function dayOf(value) {
  return value ? londonInput(value).slice(0, 10) : new Date().toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- small DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(text, isError = false) {
  const message = $("message");
  message.textContent = text || "";
  message.classList.toggle("error", Boolean(isError));
}

function headline(entry) {
  if (entry.summary) return entry.summary;
  const data = entry.data || {};
  if (entry.type === "person_added") return `${data.name || data.person_id} (${data.role}) added to the case`;
  return data.words || data.decision || data.description || entry.type.replaceAll("_", " ");
}

function show(sectionId) {
  for (const id of ["login", "home", "case", "person"]) $(id).hidden = id !== sectionId;
}

// ---------------------------------------------------------------- start

async function start() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    await route();
  });
  $("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.me = null;
    window.location.assign("/ui");
  });
  $("open-case").addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.assign(`/ui/cases/${encodeURIComponent($("case-id").value.trim())}`);
  });
  $("open-person").addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.assign(`/ui/people/${encodeURIComponent($("person-id").value.trim())}`);
  });
  await route();
}

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return show("login");
  try {
    state.me = await api("/me");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    say(error.status === 401 ? "That token was not accepted." : error.message, true);
    return show("login");
  }
  $("who").textContent = `${state.me.name} · ${state.me.role} · ${state.me.agency}`;
  $("sign-out").hidden = false;
  const path = decodeURIComponent(window.location.pathname);
  const caseMatch = path.match(/^\/ui\/cases\/(.+)$/);
  const personMatch = path.match(/^\/ui\/people\/(.+)$/);
  if (caseMatch) return openCase(caseMatch[1]);
  if (personMatch) return openPerson(personMatch[1]);
  return show("home");
}

// ---------------------------------------------------------------- case page

async function openCase(caseId) {
  state.caseId = caseId;
  $("where").textContent = `Case ${caseId}`;
  $("case-title").textContent = `Case ${caseId}`;
  document.title = `${caseId} · Foresight`;
  show("case");
  let events;
  try {
    events = await api(`/cases/${encodeURIComponent(caseId)}/events`);
  } catch (error) {
    say(error.message, true);
    return;
  }
  state.moments = [...new Set(events.map((e) => e.known_at))].sort();
  setUpAgencies(events);
  setUpControls();
  setUpTimeline();
  // The recording forms (recording.js) live in #recording; after a save they ask for the case
  // to be drawn again, and they hear which entry was chosen on the timeline or table.
  const context = { caseId, me: state.me, token: () => sessionStorage.getItem(TOKEN_KEY) || "", refresh: reload };
  setUpRecording(context);
  setUpPeople(context);  // people and relationships, and the genogram (people.js, #people)
  setUpImport(context);  // an agency's chronology uploaded (importing.js, #import)
  await render();
}

async function reload() {
  // A new entry is known from now: move the replay's stops on, then draw the case as known now.
  const events = await api(`/cases/${encodeURIComponent(state.caseId)}/events`);
  state.moments = [...new Set(events.map((e) => e.known_at))].sort();
  $("known-slider").max = String(state.moments.length);
  if (!state.asKnownAt) $("known-slider").value = $("known-slider").max;
  await render();
}

function setUpAgencies(events) {
  const select = $("agency");
  select.replaceChildren();
  const agencies = new Set(events.map((e) => e.agency));
  for (const e of events) if (e.type === "information_shared") agencies.add(e.data.to_agency);
  if (state.me.role === "reviewer") {
    select.append(el("option", { value: "" }, "the whole record"));
    for (const agency of [...agencies].sort()) select.append(el("option", { value: agency }, agency));
    select.disabled = false;
    state.agency = "";
  } else {
    select.append(el("option", { value: state.me.agency }, state.me.agency));
    select.disabled = true;
    state.agency = state.me.agency;
  }
}

function setUpControls() {
  const slider = $("known-slider");
  slider.max = String(state.moments.length);
  slider.value = slider.max;
  slider.setAttribute("aria-valuetext", "now");
  let pending = null;
  const later = () => { clearTimeout(pending); pending = setTimeout(render, 120); };
  slider.addEventListener("input", () => {
    const index = Number(slider.value);
    state.asKnownAt = index >= state.moments.length ? null : state.moments[index];
    $("known-at").value = state.asKnownAt ? londonInput(state.asKnownAt) : "";
    later();
  });
  $("known-at").addEventListener("change", () => {
    state.asKnownAt = $("known-at").value || null;
    slider.value = String(stopFor(state.asKnownAt));
    render();
  });
  $("known-now").addEventListener("click", () => {
    state.asKnownAt = null;
    $("known-at").value = "";
    slider.value = slider.max;
    render();
  });
  $("agency").addEventListener("change", () => { state.agency = $("agency").value; render(); });
  $("significance").addEventListener("change", () => { state.significance = $("significance").value; render(); });
  $("show-retracted").addEventListener("change", () => { state.showRetracted = $("show-retracted").checked; render(); });
  $("changes-form").addEventListener("submit", (event) => { event.preventDefault(); showChanges(); });
}

function stopFor(localValue) {
  // The slider stop of the last moment known by a London wall time (minute precision).
  if (!localValue) return state.moments.length;
  let index = 0;
  while (index < state.moments.length && londonInput(state.moments[index]) <= localValue) index += 1;
  return Math.max(0, index - 1);
}

function setUpTimeline() {
  if (state.timeline) return;
  state.items = new vis.DataSet();
  state.groups = new vis.DataSet();
  state.timeline = new vis.Timeline($("timeline"), state.items, state.groups, {
    stack: true, zoomKey: "ctrlKey", orientation: "top", margin: { item: 4 },
    tooltip: { followMouse: false }, xss: { disabled: false },
  });
  state.timeline.on("select", ({ items }) => {
    if (items.length) choose(items[0], false);
  });
}

async function render() {
  const label = state.asKnownAt ? `as known at ${shown(state.asKnownAt)}` : "as known now";
  $("known-label").textContent = label;
  $("known-slider").setAttribute("aria-valuetext", label);
  const params = {
    as_known_at: state.asKnownAt, agency: state.agency, significance: state.significance,
    include_retracted: state.showRetracted ? "true" : "",
  };
  try {
    state.entries = await api(`/cases/${encodeURIComponent(state.caseId)}/chronology`, params);
    say("");
  } catch (error) {
    say(error.message, true);
    return;
  }
  drawTimeline();
  drawTable();
  drawPlans();
}

function itemClass(entry) {
  const classes = [`sig-${entry.significance}`, `type-${entry.type}`];
  if (entry.type === "child_voice_recorded") classes.push("child-voice");
  if (entry.corrected) classes.push("corrected");
  if (entry.retracted) classes.push("retracted");
  return classes.join(" ");
}

function drawTimeline() {
  const agencies = [...new Set(state.entries.map((e) => e.agency))].sort();
  state.groups.clear();
  state.groups.add(agencies.map((agency) => ({ id: agency, content: agency })));
  state.items.clear();
  state.items.add(state.entries.map((entry) => {
    const content = el("span", {},
      entry.type === "child_voice_recorded" ? "“" + (entry.data.words || "") + "”" : headline(entry),
      entry.corrected ? el("span", { class: "mark", title: "corrected" }, " ✎") : null);
    return {
      id: entry.event_id, group: entry.agency, start: entry.occurred_at, content,
      className: itemClass(entry),
    };
  }));
  if (state.entries.length) state.timeline.fit({ animation: false });
}

function drawTable() {
  const body = $("entries").querySelector("tbody");
  body.replaceChildren();
  for (const entry of state.entries) {
    const button = el("button", { type: "button", class: "linkish", onclick: () => choose(entry.event_id, true) },
      headline(entry));
    const row = el("tr", { class: itemClass(entry), dataset: { eventId: entry.event_id }, id: `row-${entry.event_id}` },
      el("td", {}, shown(entry.occurred_at) + (entry.date_uncertain ? "?" : "")),
      el("td", {}, entry.agency),
      el("td", {}, entry.type.replaceAll("_", " "),
        entry.corrected ? el("span", { class: "flag" }, " corrected") : null,
        entry.retracted ? el("span", { class: "flag" }, " retracted") : null),
      el("td", {}, button,
        entry.type === "child_voice_recorded" ? el("blockquote", { class: "words" }, entry.data.words) : null));
    body.append(row);
  }
  $("entries-count").textContent = `(${state.entries.length})`;
}

async function drawPlans() {
  const on = dayOf(state.asKnownAt);
  $("plans-date").textContent = `${on}, ${state.asKnownAt ? "as known then" : "as known now"}`;
  const list = $("plans-list");
  list.replaceChildren();
  try {
    const plans = await api(`/cases/${encodeURIComponent(state.caseId)}/plans`, { on, as_known_at: state.asKnownAt });
    if (!plans.length) list.append(el("li", {}, "No plan active."));
    for (const plan of plans) {
      list.append(el("li", { class: plan.review_overdue ? "overdue" : "" },
        `${plan.kind.replaceAll("_", " ")} plan ${plan.plan_id}`,
        plan.category ? ` (${plan.category})` : "",
        ` since ${plan.started_on}`,
        plan.review_due ? ` · review due ${plan.review_due}` : "",
        plan.review_overdue ? " · overdue" : ""));
    }
  } catch (error) {
    list.append(el("li", {}, error.message));
  }
}

function choose(eventId, focusTimeline) {
  const entry = state.entries.find((e) => e.event_id === eventId);
  document.querySelectorAll("#entries tr.chosen").forEach((row) => row.classList.remove("chosen"));
  const row = document.getElementById(`row-${eventId}`);
  if (row) {
    row.classList.add("chosen");
    row.scrollIntoView({ block: "nearest" });
  }
  if (focusTimeline && state.timeline) state.timeline.setSelection([eventId], { focus: true, animation: false });
  if (!entry) return;
  document.dispatchEvent(new CustomEvent("foresight:chosen", { detail: { entry } }));
  showEntry(entry);
}

function showEntry(entry) {
  // The entry in plain words (describe.js); entries it names open here too. A decision's
  // foresight view follows its own words: its first lines are drawn at once, the rest arrive.
  const names = new Map(state.entries.filter((e) => e.type === "person_added")
    .map((e) => [e.data.person_id, e.data.name || e.data.person_id]));
  const described = describeEntry(entry, {
    shown, headline, el, entryById: (id) => state.entries.find((e) => e.event_id === id),
    choose: (id) => choose(id, true), personName: (id) => names.get(id) || id,
  });
  if (entry.type === "decision_made") {
    showForesight(entry);
    $("panel-title").textContent = "Decision";
    $("panel-body").append(described);
    return;
  }
  $("panel-title").textContent = entry.type.replaceAll("_", " ");
  $("panel-body").replaceChildren(described);
}

async function showForesight(decision) {
  $("panel-title").textContent = "Decision: foresight view";
  const body = $("panel-body");
  body.replaceChildren(el("p", { class: "decision" }, headline(decision)),
    el("p", {}, `${decision.agency}, ${shown(decision.occurred_at)}`));
  let view;
  try {
    view = await api(`/cases/${encodeURIComponent(state.caseId)}/decisions/${decision.event_id}/foresight`);
  } catch (error) {
    body.append(el("p", { class: "error" }, error.status === 403
      ? "Foresight views show what other agencies held, so they are for reviewers."
      : error.message));
    return;
  }
  body.append(el("p", {}, `Cutoff: ${shown(view.cutoff)}`));
  const groups = [
    ["known-to-decider", "Known to the decider", view.known_to_decider],
    ["held-elsewhere", "Held elsewhere", view.held_elsewhere],
    ["learned-later", "Learned later", view.learned_later],
  ];
  for (const [key, title, items] of groups) {
    const list = el("ul", { class: "group-list" });
    for (const item of items) {
      const entry = item.entry;
      list.append(el("li", {},
        el("a", { href: `#row-${entry.event_id}`, dataset: { eventId: entry.event_id },
          onclick: (event) => { event.preventDefault(); choose(entry.event_id, true); } },
          `${shown(entry.occurred_at)} · ${entry.agency} · ${headline(entry)}`),
        item.changed_later ? el("span", { class: "flag" }, " changed later") : null,
        item.retracted_later ? el("span", { class: "flag" }, " retracted later") : null));
    }
    if (!items.length) list.append(el("li", { class: "none" }, "nothing"));
    body.append(el("section", { class: `group ${key}`, id: `group-${key}` },
      el("h3", {}, `${title} (${items.length})`), list));
  }
}

async function showChanges() {
  const list = $("changes-list");
  list.replaceChildren();
  try {
    const changes = await api(`/cases/${encodeURIComponent(state.caseId)}/changes`, {
      since: $("changes-since").value, until: $("changes-until").value, agency: state.agency,
    });
    if (!changes.length) list.append(el("li", {}, "Nothing became known in that time."));
    for (const event of changes) {
      list.append(el("li", {}, `${shown(event.known_at)} · ${event.agency} · ${event.type.replaceAll("_", " ")} · ${headline(event)}`));
    }
  } catch (error) {
    list.append(el("li", { class: "error" }, error.message));
  }
}

// ---------------------------------------------------------------- person page

async function openPerson(personId) {
  $("where").textContent = `Person ${personId}`;
  $("person-title").textContent = `Chronology of ${personId}`;
  show("person");
  try {
    const [status, entries] = await Promise.all([
      api(`/people/${encodeURIComponent(personId)}/status`),
      api(`/people/${encodeURIComponent(personId)}/chronology`),
    ]);
    $("person-status").textContent =
      (status.on_child_protection_plan ? "On a child protection plan today. "
        : status.has_been_on_child_protection_plan ? "Has been on a child protection plan. " : "Not known to have been on a child protection plan. ")
      + (status.looked_after ? "Looked after today." : status.has_been_looked_after ? "Has been looked after." : "");
    const body = $("person-entries").querySelector("tbody");
    body.replaceChildren(...entries.map((entry) => el("tr", { class: itemClass(entry), dataset: { eventId: entry.event_id } },
      el("td", {}, shown(entry.occurred_at)),
      el("td", {}, el("a", { href: `/ui/cases/${encodeURIComponent(entry.case_id)}` }, entry.case_id)),
      el("td", {}, entry.agency),
      el("td", {}, entry.type.replaceAll("_", " ")),
      el("td", {}, headline(entry)))));
  } catch (error) {
    say(error.message, true);
  }
}

window.addEventListener("DOMContentLoaded", start);
