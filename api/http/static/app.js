// The Foresight web page: replays a case as known at any time, through the JSON API only.
// Every value from the record is written with textContent, never as HTML.

import { el } from "./dom.js";
import { initAll } from "./vendor/govuk-frontend/govuk-frontend.min.js";
import {
  ALLOCATION_TYPES, agencyInWords, allocationInWords, currentAllocations, describeEntry, readUkWhen,
} from "./describe.js";
import { openRecordingForm, setUpRecording } from "./recording.js";
import { setUpPeople } from "./people.js";
import { setUpDocuments, thumbnail } from "./documents.js";
import { openImport, setUpImport } from "./importing.js";
import { toRoleScreens } from "./screens.js";
import { caseTimeline, headline, itemClass } from "./timeline.js";
import { foresightGroups, oversightList } from "./foresight.js";
import {
  fieldError, forgetSession, hasSession, offerOrganisationSignIn, showProblems, signOut,
} from "./session.js";

const TOKEN_KEY = "foresight.token";
// The roles that record, and so may start a case not yet in the record.
const RECORDERS = ["practitioner", "manager"];
// A search needs this many characters at least (the API's rule for GET /cases?q=).
const SEARCH_MIN = 2;
const SEARCH_MAX = 80;
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
  chosenId: null,   // the entry open in the panel, shown again when the time shown moves
  newCase: false,   // the case id names no case yet: the page offers to start it
  panelTurn: 0,     // each choice of an entry takes a turn; answers for an older turn are dropped
  panelRequests: null,
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

async function api(path, params = {}, { signal } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` }, signal,
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

const ukDay = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });

function ukDate(isoDay) {
  // 2024-03-15 as 15 March 2024, the way the GOV.UK style guide writes dates.
  return ukDay.format(new Date(`${isoDay.slice(0, 10)}T00:00:00Z`));
}

function shown(value) {
  // A date stays a date (15 March 2024); an instant is shown in London wall time
  // (15 March 2024, 10:15).
  if (!value) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return ukDate(value);
  // A time typed in an As known at field is London wall time already (no offset): shown as
  // typed, not read in the browser's own zone.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return `${ukDate(value.slice(0, 10))}, ${value.slice(11)}`;
  const local = londonInput(value);
  return `${ukDate(local.slice(0, 10))}, ${local.slice(11)}`;
}

function ukInput(iso) {
  // An instant as typed the UK way in a When field: 16/01/2024 12:00, London wall time.
  const local = londonInput(iso);
  return `${local.slice(8, 10)}/${local.slice(5, 7)}/${local.slice(0, 4)} ${local.slice(11)}`;
}

function readWhen(inputId, endOfDay) {
  // A When field read the UK way (describe.js's reader) as a London wall time to the minute: a
  // date alone means its start, or its end for an "as known at" or "until". Its problem, in
  // words, goes beside the field; null when the field is empty, undefined when it is wrong.
  const read = readUkWhen($(inputId).value);
  fieldError(inputId, read.error || "");
  if (read.error) return undefined;
  if (!read.value) return null;
  return read.value.length === 10 ? `${read.value}T${endOfDay ? "23:59" : "00:00"}` : read.value;
}

function dayOf(value) {
  return value ? londonInput(value).slice(0, 10) : new Date().toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- small DOM helpers

function say(text, isError = false) {
  // A failure goes to the error summary at the top of the page; anything else is a status line.
  $("message").textContent = isError ? "" : text || "";
  if (isError) showProblems([{ text }]);
  else if (!text) showProblems([]);
}


function problemFields(error, fields, inWords = (reason) => reason) {
  // The problem's errors[] as {text, field} for the error summary, each also shown beside its
  // field; `fields` maps an API field name (e.g. "q", "query.q") to the input's id, and
  // `inWords` says the API's reason as the page says it.
  const found = [];
  for (const item of error.problem?.errors || []) {
    const name = String(item.field || "").split(".").pop();
    if (fields[name]) found.push({ text: inWords(item.reason || item.message || error.message), field: fields[name] });
  }
  if (!found.length) found.push({ text: error.message, field: Object.values(fields)[0] });
  for (const { text, field } of found) fieldError(field, text);
  return found;
}

function show(sectionId) {
  for (const id of ["login", "home", "case", "person"]) $(id).hidden = id !== sectionId;
}

// ---------------------------------------------------------------- start

async function start() {
  // govuk-frontend's components (skip link, header, buttons, checkboxes) run from here: the
  // page allows no inline script.
  document.body.classList.add("govuk-frontend-supported");
  initAll();
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) {
      fieldError("token", "Enter your token");
      showProblems([{ text: "Enter your token", field: "token" }]);
      return;
    }
    fieldError("token", "");
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    await route();
  });
  $("sign-out").addEventListener("click", () => {
    state.me = null;
    signOut();  // session.js: ends an organisation sign-in's session on the server too
  });
  $("find-form").addEventListener("submit", (event) => { event.preventDefault(); findCases(); });
  $("case-new-contact").addEventListener("click", () => openRecordingForm("contact"));
  $("case-new-import").addEventListener("click", () => openImport());
  $("open-person").addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.assign(`/ui/people/${encodeURIComponent($("person-id").value.trim())}`);
  });
  await route();
}

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY) && !hasSession()) {
    document.title = "Sign in · Foresight";
    offerOrganisationSignIn($("login-form").parentElement);
    return show("login");
  }
  const bySession = !sessionStorage.getItem(TOKEN_KEY);
  try {
    state.me = await api("/me");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (error.status === 401) forgetSession();  // not on a 503: the session may be fine
    offerOrganisationSignIn($("login-form").parentElement);
    show("login");
    if (bySession && error.status === 401) return showProblems([{ text: "Your session has ended: sign in again" }]);
    const text = error.status === 401 ? "That token was not accepted: check it and sign in again" : error.message;
    fieldError("token", text);
    showProblems([{ text, field: "token" }]);
    return;
  }
  $("who").textContent = `${state.me.name} · ${state.me.role} · ${state.me.agency}`;
  $("sign-out").hidden = false;
  const path = decodeURIComponent(window.location.pathname);
  const caseMatch = path.match(/^\/ui\/cases\/(.+)$/);
  const personMatch = path.match(/^\/ui\/people\/(.+)$/);
  // Auditors and reviewers have screens of their own too (screens.js, audit.js, review.js).
  if (toRoleScreens(state.me, caseMatch?.[1])) return;
  if (caseMatch) return openCase(caseMatch[1]);
  if (personMatch) return openPerson(personMatch[1]);
  return openHome();
}

// ---------------------------------------------------------------- My cases and search

async function openHome() {
  // Practitioners and managers land on the cases allocated to them; reviewers have no
  // allocations and find the case they review (auditors have their own screens: screens.js).
  show("home");
  const role = state.me.role;
  const allocated = ["practitioner", "manager"].includes(role);
  $("mine").hidden = !allocated;
  $("finding").hidden = !["practitioner", "manager", "reviewer"].includes(role);
  const note = $("role-note");
  note.hidden = allocated;
  if (role === "reviewer") {
    $("home-title").textContent = "Cases to review";
    document.title = "Cases to review · Foresight";
    $("find-hint").textContent = "A case id, or a child's name as any agency knows them";
    note.textContent = "Reviewers are not allocated cases. Find the case you are reviewing by its id or a child's name, then open it to see the whole record as known at any time.";
  } else if (!allocated) {
    $("home-title").textContent = "Foresight";
    note.textContent = `Signed in as ${role}: this role manages users and tokens with foresight users on the command line, and reads no case.`;
  }
  if (!allocated) return;
  $("home-title").textContent = "My cases";
  document.title = "My cases · Foresight";
  $("mine-status").textContent = "Loading your cases…";
  try {
    const cases = await api("/me/cases");
    drawCases($("my-cases"), cases);
    $("mine-status").textContent = cases.length
      ? `${cases.length === 1 ? "1 case is" : `${cases.length} cases are`} allocated to you.`
      : "No cases are allocated to you yet. Find a case below, or ask your manager to allocate you.";
  } catch (error) {
    $("my-cases").hidden = true;
    $("mine-status").textContent = "";
    say(`Your cases could not be listed: ${error.message}`, true);
  }
}

function drawCases(table, cases) {
  // One row a case: its id as the link to open it, the children, the last entry's date and
  // how much is new since this user last looked.
  const body = table.querySelector("tbody");
  body.replaceChildren(...cases.map((item) => el("tr", { class: "govuk-table__row" },
    el("th", { scope: "row", class: "govuk-table__header" },
      el("a", { class: "govuk-link", href: `/ui/cases/${encodeURIComponent(item.case_id)}` }, item.case_id)),
    el("td", { class: "govuk-table__cell" }, (item.children || []).join(", ") || "none recorded"),
    el("td", { class: "govuk-table__cell" }, item.last_entry_on ? shown(item.last_entry_on) : "no entries"),
    el("td", { class: "govuk-table__cell" }, item.new_since_last_look
      ? el("strong", { class: "govuk-tag govuk-tag--yellow" }, `${item.new_since_last_look} new`)
      : item.last_looked_at ? "nothing new" : "not opened yet"))));
  table.hidden = !cases.length;
}

// What is wrong with a search, in plain words, or null: said before asking the API, and the
// API's refusal of the same said the same way.
function searchProblem(text) {
  if (!text) return "Enter a case id or a child's name to search for";
  if (text.length < SEARCH_MIN) return `Enter at least ${SEARCH_MIN} characters of a case id or a child's name`;
  if (text.length > SEARCH_MAX) return `Enter no more than ${SEARCH_MAX} characters`;
  return null;
}

function refusedSearch(reason) {
  if (/at least/i.test(reason)) return searchProblem("x".repeat(SEARCH_MIN - 1));
  if (/at most/i.test(reason)) return searchProblem("x".repeat(SEARCH_MAX + 1));
  return reason;
}

async function findCases() {
  const text = $("find").value.trim();
  fieldError("find", "");
  showProblems([]);
  const problem = searchProblem(text);
  if (problem) {
    $("found").hidden = true;
    fieldError("find", problem);
    showProblems([{ text: problem, field: "find" }]);
    return;
  }
  $("found").hidden = false;
  $("found-status").textContent = "Searching…";
  try {
    const cases = await api("/cases", { q: text });
    drawCases($("found-cases"), cases);
    $("found-status").textContent = cases.length
      ? `${cases.length === 1 ? "1 case" : `${cases.length} cases`} found for “${text}”.`
      : `No case found for “${text}”. Check the case id or the spelling of the child's name.`;
  } catch (error) {
    $("found").hidden = true;
    showProblems(problemFields(error, { q: "find" }, refusedSearch));
  }
}

// ---------------------------------------------------------------- case page

async function openCase(caseId) {
  state.caseId = caseId;
  $("where").textContent = `Case ${caseId}`;
  $("case-title").textContent = `Case ${caseId}`;
  document.title = `${caseId} · Foresight`;
  show("case");
  let events;
  state.newCase = false;
  try {
    events = await api(`/cases/${encodeURIComponent(caseId)}/events`);
  } catch (error) {
    // A case id nothing is recorded under yet: those who record may start it here (its first
    // entry saved, or a chronology imported, opens it); anyone else is told it is not there.
    if (error.status !== 404 || !RECORDERS.includes(state.me.role)) {
      say(error.status === 404 ? `There is no case ${caseId} in the record.` : error.message, true);
      return;
    }
    events = [];
    state.newCase = true;
  }
  showCaseParts();
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
  setUpDocuments(context);  // documents and their versions, and uploading them (documents.js)
  await render();
}

// A case not yet in the record has nothing to replay: its replay controls, the empty strips
// and the empty timeline and table wait until its first entry is saved.
const CASE_PARTS = ["controls", "plans", "allocations", "timeline", "fit", "case-columns", "changes"];

function showCaseParts() {
  $("case-new").hidden = !state.newCase;
  for (const id of CASE_PARTS) $(id).hidden = state.newCase;
}

async function reload() {
  // A new entry is known from now: move the replay's stops on, then draw the case as known now.
  const events = await api(`/cases/${encodeURIComponent(state.caseId)}/events`);
  state.newCase = false;  // its first entry has started it
  showCaseParts();
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
    $("known-at").value = state.asKnownAt ? ukInput(state.asKnownAt) : "";
    fieldError("known-at", "");
    later();
  });
  $("controls").addEventListener("submit", (event) => {
    // Enter in the As known at field applies it rather than sending the form.
    event.preventDefault();
    $("known-at").dispatchEvent(new Event("change"));
  });
  $("known-at").addEventListener("change", () => {
    const typed = readWhen("known-at", true);
    if (typed === undefined) return;
    state.asKnownAt = typed;
    slider.value = String(stopFor(state.asKnownAt));
    render();
  });
  $("known-now").addEventListener("click", () => {
    state.asKnownAt = null;
    $("known-at").value = "";
    fieldError("known-at", "");
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
  // The timeline is the shared one (timeline.js), as on the review workspace.
  if (state.timeline) return;
  state.drawn = caseTimeline($("timeline"), {
    onSelect: (ids) => { if (ids.length) choose(ids[0], false); },
    decorate: thumbnail,
  });
  ({ timeline: state.timeline, items: state.items, groups: state.groups } = state.drawn);
  $("fit").addEventListener("click", () => state.timeline.fit({ animation: false }));
}

async function render() {
  const label = state.asKnownAt ? `as known at ${shown(state.asKnownAt)}` : "as known now";
  $("known-label").textContent = label;
  $("known-slider").setAttribute("aria-valuetext", label);
  const params = {
    as_known_at: state.asKnownAt, agency: state.agency, significance: state.significance,
    include_retracted: state.showRetracted ? "true" : "",
  };
  // The other parts of the page drawn from the record (the genogram) follow the same time.
  document.dispatchEvent(new CustomEvent("foresight:known-at", {
    detail: { caseId: state.caseId, asKnownAt: state.asKnownAt, empty: state.newCase },
  }));
  try {
    state.entries = state.newCase ? [] : await api(`/cases/${encodeURIComponent(state.caseId)}/chronology`, params);
    say("");
  } catch (error) {
    say(error.message, true);
    return;
  }
  drawTimeline();
  drawTable();
  drawPlans();
  drawAllocations();
  redrawPanel();
}

function redrawPanel() {
  // The entry open in the panel is shown again as known at the time now shown (a decision's
  // oversight recorded later is not there yet), or said not to be known then.
  if (!state.chosenId) return;
  const entry = state.entries.find((e) => e.event_id === state.chosenId);
  if (entry) {
    document.getElementById(`row-${entry.event_id}`)?.classList.add("chosen");
    showEntry(entry);
    return;
  }
  nextPanelTurn();
  $("panel-title").textContent = "Details";
  $("panel-body").replaceChildren(el("p", { class: "govuk-body" },
    "The entry you chose is not in the chronology as shown: it was not known then, or it is left out by the choices above."));
}

function drawTimeline() {
  state.drawn.draw(state.entries);
}

function drawTable() {
  const body = $("entries").querySelector("tbody");
  body.replaceChildren();
  for (const entry of state.entries) {
    const button = el("button", { type: "button", class: "linkish", onclick: () => choose(entry.event_id, true) },
      headline(entry));
    const row = el("tr", { class: `govuk-table__row ${itemClass(entry)}`, dataset: { eventId: entry.event_id }, id: `row-${entry.event_id}` },
      el("td", { class: "govuk-table__cell" }, shown(entry.occurred_at) + (entry.date_uncertain ? "?" : "")),
      el("td", { class: "govuk-table__cell" }, entry.agency),
      el("td", { class: "govuk-table__cell" }, entry.type.replaceAll("_", " "),
        entry.corrected ? el("span", { class: "flag" }, " corrected") : null,
        entry.retracted ? el("span", { class: "flag" }, " retracted") : null),
      el("td", { class: "govuk-table__cell" }, button,
        entry.type === "child_voice_recorded" ? el("blockquote", { class: "words" }, entry.data.words) : null));
    body.append(row);
  }
  $("entries-count").textContent = `(${state.entries.length})`;
}

async function drawPlans() {
  const on = dayOf(state.asKnownAt);
  $("plans-date").textContent = `${ukDate(on)}, ${state.asKnownAt ? "as known then" : "as known now"}`;
  const list = $("plans-list");
  list.replaceChildren();
  try {
    const plans = state.newCase ? [] : await api(`/cases/${encodeURIComponent(state.caseId)}/plans`, { on, as_known_at: state.asKnownAt });
    if (!plans.length) list.append(el("li", {}, "No plan active."));
    for (const plan of plans) {
      list.append(el("li", { class: plan.review_overdue ? "overdue" : "" },
        `${plan.kind.replaceAll("_", " ")} plan ${plan.plan_id}`,
        plan.category ? ` (${plan.category})` : "",
        ` since ${shown(plan.started_on)}`,
        plan.review_due ? ` · review due ${shown(plan.review_due)}` : "",
        plan.review_overdue ? " · overdue" : ""));
    }
  } catch (error) {
    list.append(el("li", {}, error.message));
  }
}

async function drawAllocations() {
  // The workers holding the case for each agency the reader sees, as known at the time shown.
  $("allocations-date").textContent = state.asKnownAt ? `as known at ${shown(state.asKnownAt)}` : "as known now";
  const list = $("allocations-list");
  list.replaceChildren();
  try {
    const entries = state.newCase ? [] : await api(`/cases/${encodeURIComponent(state.caseId)}/chronology`, {
      types: ALLOCATION_TYPES.join(","), as_known_at: state.asKnownAt, agency: state.agency,
    });
    const held = currentAllocations(entries);
    if (!held.length) list.append(el("li", {}, "No worker allocated."));
    for (const allocation of held) {
      list.append(el("li", {}, `${allocationInWords(allocation)}, ${agencyInWords(allocation.agency)}, since ${shown(allocation.since)}`));
    }
  } catch (error) {
    list.append(el("li", {}, error.message));
  }
}

function choose(eventId, focusTimeline) {
  const entry = state.entries.find((e) => e.event_id === eventId);
  state.chosenId = entry ? eventId : state.chosenId;
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

function nextPanelTurn() {
  // Each entry chosen takes a turn of the panel: the requests of the turn before are stopped,
  // and an answer that still arrives for it is dropped, so a slow answer about one decision
  // never shows beside another.
  state.panelRequests?.abort();
  state.panelRequests = new AbortController();
  state.panelTurn += 1;
  const number = state.panelTurn;
  return { signal: state.panelRequests.signal, stale: () => number !== state.panelTurn };
}

function showEntry(entry) {
  // The entry in plain words (describe.js); entries it names open here too. A decision's
  // foresight view follows its own words: its first lines are drawn at once, the rest arrive.
  const turn = nextPanelTurn();
  const names = new Map(state.entries.filter((e) => e.type === "person_added")
    .map((e) => [e.data.person_id, e.data.name || e.data.person_id]));
  // The panel scrolls when an entry is long: keyboard users must be able to reach it to scroll.
  $("panel").tabIndex = 0;
  const described = describeEntry(entry, {
    shown, headline, el, entryById: (id) => state.entries.find((e) => e.event_id === id),
    choose: (id) => choose(id, true), personName: (id) => names.get(id) || id,
    leaveOut: new Set(entry.type === "decision_made" ? ["When", "Agency", "Summary"] : []),
  });
  if (entry.type === "decision_made") {
    $("panel-title").textContent = "Decision";
    const fact = (key, value) => el("div", { class: "govuk-summary-list__row" },
      el("dt", { class: "govuk-summary-list__key" }, key), el("dd", { class: "govuk-summary-list__value" }, value));
    const facts = el("dl", { class: "govuk-summary-list govuk-summary-list--no-border" },
      fact("Decision", headline(entry)), fact("Agency", entry.agency), fact("When", shown(entry.occurred_at)));
    const oversight = el("section", { id: "decision-oversight", class: "fs-oversight", "aria-labelledby": "decision-oversight-title" },
      el("h3", { class: "govuk-heading-s", id: "decision-oversight-title" }, "Management oversight of this decision"),
      el("p", { class: "govuk-body" }, "Reading…"));
    const foresight = el("div", { id: "decision-foresight" });
    $("panel-body").replaceChildren(facts, el("h3", { class: "govuk-heading-s" }, "What was recorded"), described,
      oversight, foresight);
    showOversight(entry, oversight, turn);
    showForesight(entry, facts, fact, foresight, turn);
    return;
  }
  const type = entry.type.replaceAll("_", " ");
  $("panel-title").textContent = type.charAt(0).toUpperCase() + type.slice(1);
  $("panel-body").replaceChildren(described);
}

async function showOversight(decision, place, turn) {
  // The managers' oversight of this decision, as known at the time shown (an oversight
  // recorded later is not there yet), each in words: the view, reasons, next steps, who, when.
  let entries;
  try {
    entries = await api(`/cases/${encodeURIComponent(state.caseId)}/chronology`, {
      types: "oversight_recorded", as_known_at: state.asKnownAt, agency: state.agency,
    }, { signal: turn.signal });
  } catch (error) {
    if (turn.stale()) return;
    place.lastChild.replaceWith(el("p", { class: "govuk-body error" }, error.message));
    return;
  }
  if (turn.stale()) return;
  const about = entries.filter((entry) => entry.data?.target_event_id === decision.event_id);
  place.lastChild.replaceWith(oversightList(about, {
    shown,
    none: state.asKnownAt ? "No manager had recorded oversight of this decision by then." : "No manager has recorded oversight of this decision.",
  }));
}

async function showForesight(decision, facts, fact, place, turn) {
  let view;
  try {
    view = await api(`/cases/${encodeURIComponent(state.caseId)}/decisions/${decision.event_id}/foresight`, {},
      { signal: turn.signal });
  } catch (error) {
    if (turn.stale()) return;
    place.append(el("p", { class: "govuk-body error" }, error.status === 403
      ? "Foresight views show what other agencies held, so they are for reviewers."
      : error.message));
    return;
  }
  if (turn.stale()) return;
  facts.append(fact("Cutoff", shown(view.cutoff)));
  place.append(...foresightGroups(view, {
    line: (entry) => `${shown(entry.occurred_at)} · ${entry.agency} · ${headline(entry)}`,
    choose: (eventId) => choose(eventId, true), ids: true,
  }));
}

async function showChanges() {
  const list = $("changes-list");
  list.replaceChildren();
  const since = readWhen("changes-since", false);
  const until = readWhen("changes-until", true);
  if (since === null) fieldError("changes-since", "Enter the date to show changes since, like 16/01/2024 or 16/01/2024 12:00");
  if (!since || until === undefined) return;
  try {
    const changes = await api(`/cases/${encodeURIComponent(state.caseId)}/changes`, {
      since, until, agency: state.agency,
    });
    if (!changes.length) list.append(el("li", {}, "Nothing became known in that time."));
    for (const event of changes) {
      list.append(el("li", {}, `${shown(event.known_at)} · ${event.agency} · ${event.type.replaceAll("_", " ")} · ${headline(event)}`));
    }
  } catch (error) {
    problemFields(error, { since: "changes-since", until: "changes-until" });
  }
}

// ---------------------------------------------------------------- person page

async function openPerson(personId) {
  // One person's chronology across cases, as known now or at a time typed the UK way.
  $("where").textContent = `Person ${personId}`;
  $("person-title").textContent = personId;
  show("person");
  // The UK date reader and the words for types live with the panel's words (describe.js).
  const { readUkWhen, ukWhen, typeInWords } = await import("./describe.js");
  const person = encodeURIComponent(personId);
  let named = false;

  const nameFrom = async (entries) => {
    // Titled by the name their person_added entry gives: in their own chronology when it
    // names them, else in the cases it lists; the id when no entry gives a name.
    const own = entries.find((e) => e.type === "person_added" && e.data.person_id === personId && e.data.name);
    if (own) return own.data.name;
    for (const caseId of [...new Set(entries.map((e) => e.case_id))]) {
      const added = (await api(`/cases/${encodeURIComponent(caseId)}/chronology`).catch(() => []))
        .find((e) => e.type === "person_added" && e.data.person_id === personId && e.data.name);
      if (added) return added.data.name;
    }
    return null;
  };

  const draw = async (asKnownAt) => {
    const on = asKnownAt ? asKnownAt.slice(0, 10) : null;
    const [status, entries] = await Promise.all([
      api(`/people/${person}/status`, { as_known_at: asKnownAt, on }),
      api(`/people/${person}/chronology`, { as_known_at: asKnownAt }),
    ]);
    if (!named) {
      named = true;
      const name = await nameFrom(entries);
      if (name) {
        $("person-title").textContent = name;
        $("where").textContent = `Person ${name}`;
        document.title = `${name} · Foresight`;
      }
    }
    const when = asKnownAt ? (asKnownAt.length === 10 ? `the end of ${ukWhen(asKnownAt)}` : ukWhen(asKnownAt)) : null;
    $("person-known-label").textContent = when ? `As known at ${when}` : "As known now";
    const day = on ? `on ${ukWhen(on)}, as known then` : "today";
    $("person-status").textContent =
      (status.on_child_protection_plan ? `On a child protection plan ${day}. `
        : status.has_been_on_child_protection_plan ? "Has been on a child protection plan. " : "Not known to have been on a child protection plan. ")
      + (status.looked_after ? `Looked after ${day}.` : status.has_been_looked_after ? "Has been looked after." : "");
    const cell = (...children) => el("td", { class: "govuk-table__cell" }, ...children);
    const body = $("person-entries").querySelector("tbody");
    body.replaceChildren(...entries.map((entry) => el("tr",
      { class: `govuk-table__row ${itemClass(entry)}`, dataset: { eventId: entry.event_id } },
      cell(ukWhen(entry.occurred_at) + (entry.date_uncertain ? " (date not certain)" : "")),
      cell(el("a", { class: "govuk-link", href: `/ui/cases/${encodeURIComponent(entry.case_id)}` }, entry.case_id)),
      cell(entry.agency),
      cell(typeInWords(entry.type)),
      cell(headline(entry), entry.type === "child_voice_recorded" && entry.data.words
        ? el("blockquote", { class: "govuk-inset-text words" }, `“${entry.data.words}”`) : null))));
  };

  const showTypingError = (text) => {
    // A GOV.UK error message beside the field, in plain words, and nothing typed is lost.
    const input = $("person-known-at");
    document.getElementById("person-known-at-error")?.remove();
    $("person-known-at-group").classList.toggle("govuk-form-group--error", Boolean(text));
    input.classList.toggle("govuk-input--error", Boolean(text));
    input.setAttribute("aria-describedby", text ? "person-known-at-hint person-known-at-error" : "person-known-at-hint");
    if (text) {
      input.before(el("p", { id: "person-known-at-error", class: "govuk-error-message" },
        el("span", { class: "govuk-visually-hidden" }, "Error: "), text));
    }
  };
  const form = $("person-known-form");
  if (!form.dataset.ready) {
    form.dataset.ready = "yes";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const read = readUkWhen($("person-known-at").value);
      showTypingError(read.error);
      if (read.error) return;
      try {
        await draw(read.value);
      } catch (error) {
        say(error.message, true);
      }
    });
  }
  try {
    await draw(null);
  } catch (error) {
    say(error.message, true);
  }
}

window.addEventListener("DOMContentLoaded", start);
