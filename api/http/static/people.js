// People and relationships on the case page: the genogram that draws them (vis-network), the
// same in words for screen readers, and the forms that add them. Lives in #people.
// Every value from the record is written with textContent, never as HTML.

import { UPN_UNKNOWN_REASON, codeOptions } from "./codes.js";
import { el } from "./dom.js";

const NETWORK_MODULE = "/static/vendor/vis-network/vis-network.min.js";
const RECORDING_ROLES = ["practitioner", "manager"];
// The DfE's unique pupil number: a letter, eleven digits, then a digit or letter.
const UPN = /^[A-Z][0-9]{11}[0-9A-Z]$/;
// The record refuses a UPN and a reason for having none together.
const UPN_AND_REASON = "Give either the UPN or the reason the child has no UPN, not both";

// Households are told apart by colour (GOV.UK palette); the legend names each colour.
const HOUSEHOLD_COLOURS = ["#1d70b8", "#00703c", "#f47738", "#4c2c92", "#d4351c", "#28a197", "#f499be", "#85994b", "#b58840"];
const NO_HOUSEHOLD_COLOUR = "#b1b4b6";

// The genogram convention: male a square, female a circle, sex not known a diamond.
const SHAPES = { M: "square", F: "dot", U: "diamond" };
const SEX_WORDS = { M: "male", F: "female", U: "not known" };

// What "Person is the <relationship> of Other person" means for the drawing.
const PARENT_WORDS = new Set(["mother", "father", "parent", "step-parent", "stepmother", "stepfather", "adoptive parent"]);
const GRANDPARENT_WORDS = new Set(["grandparent", "grandmother", "grandfather"]);
const CHILD_WORDS = new Set(["child", "son", "daughter", "stepchild"]);
const PARTNER_WORDS = new Set(["partner", "husband", "wife", "spouse"]);
const EX_PARTNER_WORDS = new Set(["ex-partner", "former partner", "ex-husband", "ex-wife"]);
const SIBLING_WORDS = new Set(["sibling", "half-sibling", "brother", "sister", "step-sibling"]);

export const RELATIONSHIPS = [
  "mother", "father", "parent", "step-parent", "partner", "ex-partner", "sibling", "half-sibling",
  "grandparent", "aunt or uncle", "carer", "other",
];

// ---------------------------------------------------------------- small helpers

function newEventId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function personIdFrom(name, taken) {
  // Lowercase words joined by hyphens, accents dropped, unique among the case's people.
  const base = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "person";
  let candidate = base;
  for (let n = 2; taken.has(candidate); n += 1) candidate = `${base}-${n}`;
  return candidate;
}

export function ukDate(text) {
  // "15/03/2016" (or 15-3-2016, 15.3.2016) as an ISO date; null when it is not a real date.
  const match = text.trim().match(/^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$/);
  if (!match) return null;
  const [day, month, year] = match.slice(1).map(Number);
  const when = new Date(Date.UTC(year, month - 1, day));
  if (when.getUTCFullYear() !== year || when.getUTCMonth() !== month - 1 || when.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

function ukShown(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  return match ? `${match[3]}/${match[2]}/${match[1]}` : "";
}

// An API error's field as a dotted path, whichever way the API writes it: `subjects[0]`,
// `[0].subjects[0]` and `0.subjects.0` (an event's place in a batch first) are `subjects.0`.
function dottedField(field) {
  return String(field || "").replace(/\[(\d+)\]/g, ".$1").replace(/^\./, "").replace(/^\d+\.(?=[a-z])/, "");
}

function kindOf(relationship) {
  const word = (relationship || "").trim().toLowerCase();
  if (PARENT_WORDS.has(word)) return "parent";
  if (GRANDPARENT_WORDS.has(word)) return "grandparent";
  if (CHILD_WORDS.has(word)) return "child";
  if (PARTNER_WORDS.has(word)) return "partner";
  if (EX_PARTNER_WORDS.has(word)) return "ex-partner";
  if (SIBLING_WORDS.has(word)) return "sibling";
  return "other";
}

// ---------------------------------------------------------------- the people of the case

function peopleFrom(entries) {
  const people = new Map();
  const relationships = [];
  for (const entry of entries) {
    const data = entry.data || {};
    if (entry.type === "person_added") people.set(data.person_id, { ...data, name: data.name || data.person_id });
    else if (entry.type === "relationship_recorded") relationships.push({ ...data, event_id: entry.event_id });
  }
  return { people, relationships: relationships.filter((r) => people.has(r.person_id) && people.has(r.other_person_id)) };
}

function sentence(relationship, people) {
  const one = people.get(relationship.person_id).name;
  const other = people.get(relationship.other_person_id).name;
  if (relationship.relationship.trim().toLowerCase() === "other") return `${one} and ${other} are related in another way`;
  return `${one} is the ${relationship.relationship} of ${other}`;
}

function generations(people, relationships) {
  // Parents above their children, partners side by side: levels for a top-down layout.
  const level = new Map([...people.values()].map((p) => [p.person_id, p.role === "child" ? 1 : 0]));
  for (let pass = 0; pass < people.size + 1; pass += 1) {
    let moved = false;
    const atLeast = (id, value) => { if (level.get(id) < value) { level.set(id, value); moved = true; } };
    for (const r of relationships) {
      const kind = kindOf(r.relationship);
      const [up, down] = kind === "child" ? [r.other_person_id, r.person_id] : [r.person_id, r.other_person_id];
      if (kind === "parent" || kind === "child") atLeast(down, level.get(up) + 1);
      else if (kind === "grandparent") atLeast(down, level.get(up) + 2);
      else if (kind === "partner" || kind === "ex-partner" || kind === "sibling") {
        const same = Math.max(level.get(r.person_id), level.get(r.other_person_id));
        atLeast(r.person_id, same);
        atLeast(r.other_person_id, same);
      }
    }
    if (!moved || pass > 50) break;
  }
  return level;
}

function householdColours(people) {
  const households = [...new Set([...people.values()].map((p) => p.household).filter(Boolean))].sort();
  return new Map(households.map((name, index) => [name, HOUSEHOLD_COLOURS[index % HOUSEHOLD_COLOURS.length]]));
}

function networkData(people, relationships, colours) {
  const level = generations(people, relationships);
  const nodes = [...people.values()].map((person) => {
    const colour = colours.get(person.household) || NO_HOUSEHOLD_COLOUR;
    const child = person.role === "child";
    const second = child ? "child" : person.relationship || "adult";
    return {
      id: person.person_id,
      label: `${person.name}\n${second}`,
      shape: SHAPES[person.sex] || SHAPES.U,
      size: child ? 14 : 22,
      level: level.get(person.person_id),
      borderWidth: child ? 3 : 2,
      color: { background: colour, border: "#0b0c0c" },
      // A white ground under the name keeps a line passing behind it readable.
      font: { face: "arial", size: 15, color: "#0b0c0c", background: "#ffffff" },
    };
  });
  const edges = relationships.map((r) => {
    const kind = kindOf(r.relationship);
    const reversed = kind === "child";
    const edge = {
      id: r.event_id,
      from: reversed ? r.other_person_id : r.person_id,
      to: reversed ? r.person_id : r.other_person_id,
      label: r.relationship,
      color: { color: "#0b0c0c" },
      width: 2,
      font: { face: "arial", size: 13, align: "horizontal", background: "#ffffff" },
    };
    if (kind === "parent" || kind === "child" || kind === "grandparent") edge.arrows = "to";
    if (kind === "ex-partner") edge.dashes = [10, 6];
    if (kind === "sibling") edge.dashes = [2, 4];
    if (kind === "other") { edge.color = { color: "#505a5f" }; edge.width = 1; edge.dashes = [6, 4]; }
    if (kind === "partner" || kind === "ex-partner") edge.width = 3;
    return edge;
  });
  return { nodes, edges };
}

// ---------------------------------------------------------------- set up

export function setUpPeople({ caseId, me, token, refresh }) {
  const place = document.getElementById("people");
  if (!place) return;
  const canRecord = RECORDING_ROLES.includes(me.role);
  const state = { people: new Map(), relationships: [], network: null, vis: null, drawn: new Set() };
  const ids = { genogram: "people-genogram", table: "people-table", words: "people-relationships-title" };

  const status = el("p", { class: "govuk-body people-status", role: "status", "aria-live": "polite" });
  const genogram = el("div", {
    id: ids.genogram, class: "people-genogram", role: "img",
    "aria-label": "Genogram of the case's people and relationships; the same is set out in words in the table \"People in the case\" and the list \"Relationships\" that follow it",
  });
  const legend = el("div", { class: "people-legend" });
  const peopleBody = el("tbody", { class: "govuk-table__body" });
  const relationshipList = el("ul", { class: "govuk-list govuk-list--bullet", "aria-labelledby": ids.words });
  const header = (text) => el("th", { scope: "col", class: "govuk-table__header" }, text);
  const table = el("table", { id: ids.table, class: "govuk-table people-table" },
    el("caption", { class: "govuk-table__caption govuk-table__caption--s" }, "People in the case"),
    el("thead", { class: "govuk-table__head" }, el("tr", { class: "govuk-table__row" },
      header("Name"), header("Role"), header("Sex"), header("Date of birth"), header("Relationship to the child"), header("Household"))),
    peopleBody);

  const buttons = el("div", { class: "govuk-button-group people-buttons" });
  const forms = el("div", { class: "people-forms" });
  place.replaceChildren(
    el("h2", { class: "govuk-heading-m" }, "People and relationships"),
    status, buttons, forms, genogram, legend,
    // Narrow screens scroll the table sideways rather than break its words apart.
    el("div", { class: "people-table-wrap", tabindex: "0", role: "group", "aria-label": "People in the case, scrolls sideways on a narrow screen" }, table),
    el("h3", { id: ids.words, class: "govuk-heading-s" }, "Relationships"), relationshipList);
  place.hidden = false;

  async function read(asKnownAt) {
    const url = new URL(`/cases/${encodeURIComponent(caseId)}/chronology`, window.location.origin);
    url.searchParams.set("types", "person_added,relationship_recorded");
    if (asKnownAt) url.searchParams.set("as_known_at", asKnownAt);
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
    const body = await response.json().catch(() => ({}));
    // A case not in the record yet has no one in it (the page offers to start it).
    if (response.status === 404) return [];
    if (!response.ok) throw Object.assign(new Error(body.detail || body.title || `HTTP ${response.status}`), { status: response.status });
    return body;
  }

  // The people as known at the time the page's "As known at" control shows (null: now). Each
  // drawing takes a turn, so an older answer arriving late never replaces a newer one.
  let asKnownAt = null;
  let turn = 0;

  async function draw() {
    let entries;
    turn += 1;
    const mine = turn;
    try {
      entries = await read(asKnownAt);
      if (mine !== turn) return;
    } catch (error) {
      if (mine !== turn) return;
      // A role that may not read the case's entries has nothing to see here.
      if (error.status === 403) place.hidden = true;
      status.textContent = `The people of the case could not be read: ${error.message}`;
      return;
    }
    ({ people: state.people, relationships: state.relationships } = peopleFrom(entries));
    state.drawn = new Set(entries.map((entry) => entry.event_id));
    // Who is drawn, as data on the genogram, for the browser tests and anyone inspecting.
    genogram.dataset.people = [...state.people.keys()].join(" ");
    drawWords();
    drawLegend();
    await drawGenogram();
    for (const refill of refillers) refill();
  }

  function drawWords() {
    peopleBody.replaceChildren(...[...state.people.values()].map((person) => el("tr", { class: "govuk-table__row" },
      el("th", { scope: "row", class: "govuk-table__header" }, person.name),
      el("td", { class: "govuk-table__cell" }, person.role),
      el("td", { class: "govuk-table__cell" }, SEX_WORDS[person.sex] || "not recorded"),
      el("td", { class: "govuk-table__cell" }, ukShown(person.date_of_birth) || (person.expected_birth_date ? `expected ${ukShown(person.expected_birth_date)}` : "")),
      el("td", { class: "govuk-table__cell" }, person.relationship || ""),
      el("td", { class: "govuk-table__cell" }, person.household || ""))));
    if (!state.people.size) {
      peopleBody.append(el("tr", { class: "govuk-table__row" }, el("td", { class: "govuk-table__cell", colspan: "6" }, "No one has been added to this case yet.")));
    }
    relationshipList.replaceChildren(...state.relationships.map((r) => el("li", {}, sentence(r, state.people))));
    if (!state.relationships.length) relationshipList.append(el("li", {}, "No relationship has been recorded yet."));
  }

  function drawLegend() {
    const colours = householdColours(state.people);
    const households = el("ul", { class: "govuk-list people-legend__list", "aria-label": "Households by colour" });
    for (const [name, colour] of colours) {
      const swatch = el("span", { class: "people-legend__swatch", "aria-hidden": "true" });
      swatch.style.backgroundColor = colour;
      households.append(el("li", {}, swatch, `Household: ${name}`));
    }
    if ([...state.people.values()].some((p) => !p.household)) {
      const swatch = el("span", { class: "people-legend__swatch", "aria-hidden": "true" });
      swatch.style.backgroundColor = NO_HOUSEHOLD_COLOUR;
      households.append(el("li", {}, swatch, "Household not recorded"));
    }
    legend.replaceChildren(
      el("p", { class: "govuk-body-s" },
        "Key: a square is male, a circle female, a diamond sex not known; a smaller symbol with a thick border is a child. ",
        "Arrows run from parent to child; a thick line joins partners, a thick dashed line ex-partners, a dotted line siblings."),
      households);
  }

  async function drawGenogram() {
    try {
      state.vis = state.vis || await import(NETWORK_MODULE);
    } catch (error) {
      genogram.hidden = true;
      status.textContent = "The genogram could not be drawn; the people and relationships are listed below.";
      return;
    }
    genogram.hidden = false;
    const { nodes, edges } = networkData(state.people, state.relationships, householdColours(state.people));
    const data = { nodes: new state.vis.DataSet(nodes), edges: new state.vis.DataSet(edges) };
    if (state.network) {
      state.network.setData(data);
    } else {
      state.network = new state.vis.Network(genogram, data, {
        autoResize: true,
        physics: false,
        layout: { hierarchical: { enabled: true, direction: "UD", sortMethod: "directed", levelSeparation: 170, nodeSpacing: 150 } },
        interaction: { dragNodes: false, zoomView: false, keyboard: false, selectable: false, hover: false },
        edges: { smooth: false },
      });
    }
    state.network.fit({ animation: false });
  }

  // ------------------------------------------------------------ forms

  const refillers = [];
  if (canRecord) {
    const personForm = addPersonForm();
    const relationshipForm = recordRelationshipForm();
    buttons.append(personForm.opener, relationshipForm.opener);
    forms.append(personForm.form, relationshipForm.form);
  }

  function formParts(formId, title, submitText) {
    // A GOV.UK form with an error summary, its fields added by the caller, Save and Cancel.
    const summary = el("div", { class: "govuk-error-summary", "data-module": "govuk-error-summary", tabindex: "-1", hidden: true });
    const fields = el("div");
    const save = el("button", { type: "submit", class: "govuk-button", "data-module": "govuk-button" }, submitText);
    const cancel = el("button", { type: "button", class: "govuk-button govuk-button--secondary" }, "Cancel");
    const form = el("form", { id: formId, class: "people-form", novalidate: true, hidden: true, "aria-labelledby": `${formId}-title` },
      el("h3", { id: `${formId}-title`, class: "govuk-heading-s" }, title), summary, fields,
      el("div", { class: "govuk-button-group" }, save, cancel));
    const opener = el("button", { type: "button", class: "govuk-button govuk-button--secondary", "aria-expanded": "false", "aria-controls": formId }, title);
    const toggle = (open) => {
      form.hidden = !open;
      opener.setAttribute("aria-expanded", String(open));
    };
    opener.addEventListener("click", () => {
      const open = form.hidden;
      for (const other of forms.querySelectorAll("form")) if (other !== form) other.hidden = true;
      for (const other of buttons.querySelectorAll("button")) if (other !== opener) other.setAttribute("aria-expanded", "false");
      toggle(open);
      if (open) form.querySelector("input, select")?.focus();
    });
    cancel.addEventListener("click", () => { toggle(false); opener.focus(); });
    return { form, fields, summary, save, opener, close: () => toggle(false) };
  }

  function group(id, labelText, control, hint) {
    const hintNode = hint ? el("div", { id: `${id}-hint`, class: "govuk-hint" }, hint) : null;
    if (hintNode) control.setAttribute("aria-describedby", `${id}-hint`);
    return el("div", { class: "govuk-form-group", id: `${id}-group` },
      el("label", { class: "govuk-label", for: id }, labelText), hintNode, control);
  }

  function radios(id, legendText, name, options) {
    const items = options.map(([value, text], index) => {
      const inputId = index ? `${id}-${value}` : id;
      return el("div", { class: "govuk-radios__item" },
        el("input", { class: "govuk-radios__input", id: inputId, name, type: "radio", value }),
        el("label", { class: "govuk-label govuk-radios__label", for: inputId }, text));
    });
    return el("div", { class: "govuk-form-group", id: `${id}-group` },
      el("fieldset", { class: "govuk-fieldset" },
        el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, legendText),
        el("div", { class: "govuk-radios govuk-radios--inline", "data-module": "govuk-radios" }, ...items)));
  }

  function select(id, options) {
    return el("select", { class: "govuk-select", id, name: id },
      ...options.map(([value, text]) => el("option", { value }, text)));
  }

  function clearErrors(parts) {
    parts.summary.hidden = true;
    parts.summary.replaceChildren();
    for (const node of parts.form.querySelectorAll(".govuk-error-message")) node.remove();
    for (const node of parts.form.querySelectorAll(".govuk-form-group--error")) node.classList.remove("govuk-form-group--error");
    for (const node of parts.form.querySelectorAll(".govuk-input--error, .govuk-select--error")) {
      node.classList.remove("govuk-input--error", "govuk-select--error");
    }
    for (const node of parts.form.querySelectorAll("[data-error-described]")) {
      const kept = (node.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
      if (kept.length) node.setAttribute("aria-describedby", kept.join(" "));
      else node.removeAttribute("aria-describedby");
      node.removeAttribute("data-error-described");
    }
  }

  function showErrors(parts, errors) {
    // Each error beside its field (GOV.UK pattern), and all of them in the summary, focused.
    clearErrors(parts);
    const list = el("ul", { class: "govuk-list govuk-error-summary__list" });
    for (const { id, message } of errors) {
      const control = id ? document.getElementById(id) : null;
      const formGroup = control ? document.getElementById(`${id}-group`) || control.closest(".govuk-form-group") : null;
      if (control && formGroup) {
        formGroup.classList.add("govuk-form-group--error");
        const errorId = `${id}-error`;
        const message_ = el("p", { id: errorId, class: "govuk-error-message" },
          el("span", { class: "govuk-visually-hidden" }, "Error: "), message);
        const anchor = formGroup.querySelector(".govuk-radios") || control;
        anchor.before(message_);
        if (control.classList.contains("govuk-input")) control.classList.add("govuk-input--error");
        if (control.classList.contains("govuk-select")) control.classList.add("govuk-select--error");
        const describer = formGroup.querySelector("fieldset") || control;
        describer.setAttribute("aria-describedby", [describer.getAttribute("aria-describedby"), errorId].filter(Boolean).join(" "));
        describer.setAttribute("data-error-described", "");
        list.append(el("li", {}, el("a", { href: `#${id}`, onclick: (event) => { event.preventDefault(); control.focus(); } }, message)));
      } else {
        list.append(el("li", {}, message));
      }
    }
    parts.summary.replaceChildren(el("div", { role: "alert" },
      el("h2", { class: "govuk-error-summary__title" }, "There is a problem"),
      el("div", { class: "govuk-error-summary__body" }, list)));
    parts.summary.hidden = false;
    parts.summary.focus();
  }

  function inWords(reason) {
    // The API's reasons name data fields; say them as the form does.
    if (/names the same person/.test(reason)) return "Choose two different people";
    if (/only when no upn is recorded/.test(reason)) return UPN_AND_REASON;
    if (/already part of this case/.test(reason)) return "Someone with this name is already in the case; add a surname or initial to tell them apart";
    return reason.replaceAll("other_person_id", "the other person").replaceAll("person_id", "the person")
      .replaceAll("date_of_birth", "the date of birth");
  }

  async function post(envelope) {
    const response = await fetch(`/cases/${encodeURIComponent(caseId)}/events`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(envelope),
    });
    const body = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, body };
  }

  async function submit(parts, attempt, build, fieldFor, saved) {
    // One event id per attempt: a second click while saving does nothing, and a repeat of the
    // same attempt is the same event to the API, so it is recorded once.
    if (attempt.saving) return;
    const built = build();
    if (built.errors.length) return showErrors(parts, built.errors);
    attempt.id = attempt.id || newEventId();
    attempt.saving = true;
    parts.save.disabled = true;
    parts.save.setAttribute("aria-disabled", "true");
    try {
      const outcome = await post({ event_id: attempt.id, occurred_at: new Date().toISOString(), ...built.envelope });
      if (!outcome.ok) {
        const problem = outcome.body || {};
        const errors = (problem.errors || []).map((e) => ({ id: fieldFor(dottedField(e.field)), message: inWords(e.reason) }));
        if (!errors.length) errors.push({ id: null, message: problem.detail || problem.title || `The record refused it (HTTP ${outcome.status})` });
        attempt.id = null;  // nothing was written: the next try is a new attempt
        return showErrors(parts, errors);
      }
      attempt.id = null;
      clearErrors(parts);
      parts.form.reset();
      parts.close();
      parts.opener.focus();
      status.textContent = saved(built.envelope);
      // Saved: a failure to redraw from here on is not a failure to save.
      await Promise.resolve(refresh()).catch(() => {});
      await draw();
    } catch (error) {
      // The request may or may not have reached the record: keep the id, so trying again
      // cannot record it twice.
      showErrors(parts, [{ id: null, message: `Not saved: ${error.message}. Try again.` }]);
    } finally {
      attempt.saving = false;
      parts.save.disabled = false;
      parts.save.removeAttribute("aria-disabled");
    }
  }

  function addPersonForm() {
    const parts = formParts("people-add", "Add a person", "Save person");
    const households = el("datalist", { id: "people-households" });
    const household = el("input", { class: "govuk-input", id: "people-household", name: "household", type: "text", list: "people-households", autocomplete: "off" });
    parts.fields.append(
      group("people-name", "Name", el("input", { class: "govuk-input", id: "people-name", name: "name", type: "text", autocomplete: "off", spellcheck: "false" })),
      radios("people-role", "Role", "role", [["child", "Child"], ["adult", "Adult"]]),
      group("people-dob", "Date of birth (optional)",
        el("input", { class: "govuk-input govuk-input--width-10", id: "people-dob", name: "date_of_birth", type: "text", inputmode: "numeric", autocomplete: "off" }),
        "For example, 15/03/2016"),
      group("people-sex", "Sex (optional)", select("people-sex", [["", "Not recorded"], ["F", "Female"], ["M", "Male"], ["U", "Not known"]])),
      group("people-upn", "Unique pupil number (UPN) (optional)",
        el("input", { class: "govuk-input govuk-input--width-20", id: "people-upn", name: "upn", type: "text", autocomplete: "off", spellcheck: "false" }),
        "For a child: 13 characters, for example A123456789012"),
      group("people-upn-reason", "Reason the child has no UPN (optional)",
        select("people-upn-reason", [["", "Not said"], ...codeOptions(UPN_UNKNOWN_REASON)]),
        "Only when there is no UPN: the looked-after children return (SSDA903) asks why"),
      group("people-relationship", "Relationship to the child (optional)",
        el("input", { class: "govuk-input", id: "people-relationship", name: "relationship", type: "text", autocomplete: "off" }),
        "For example, mother, father, mother's partner, sibling"),
      group("people-household", "Household (optional)", household, "Where they live, for example 12 Mill Lane"),
      households);
    refillers.push(() => {
      households.replaceChildren(...[...new Set([...state.people.values()].map((p) => p.household).filter(Boolean))]
        .map((name) => el("option", { value: name })));
    });
    const attempt = { id: null, saving: false };
    const value = (id) => document.getElementById(id).value.trim();
    const build = () => {
      const errors = [];
      const name = value("people-name");
      const role = parts.form.querySelector("input[name=role]:checked")?.value;
      const dobText = value("people-dob");
      const dob = dobText ? ukDate(dobText) : null;
      if (!name) errors.push({ id: "people-name", message: "Enter the person's name" });
      if (!role) errors.push({ id: "people-role", message: "Choose whether the person is a child or an adult" });
      if (dobText && !dob) errors.push({ id: "people-dob", message: "Enter the date of birth as day/month/year, for example 15/03/2016" });
      const upn = value("people-upn").replace(/\s+/g, "").toUpperCase();
      const upnReason = value("people-upn-reason");
      if (upn && !UPN.test(upn)) errors.push({ id: "people-upn", message: "Enter the UPN as 13 characters: a letter, 11 digits, then a digit or letter" });
      if (upn && upnReason) errors.push({ id: "people-upn-reason", message: UPN_AND_REASON });
      const personId = personIdFrom(name, new Set(state.people.keys()));
      const data = { person_id: personId, role, name };
      if (dob) data.date_of_birth = dob;
      if (value("people-sex")) data.sex = value("people-sex");
      if (upn) data.upn = upn;
      if (upnReason) data.upn_unknown_reason = upnReason;
      if (value("people-relationship")) data.relationship = value("people-relationship");
      if (value("people-household")) data.household = value("people-household");
      return { errors, envelope: { type: "person_added", subjects: [personId], summary: `${name} added to the case as ${role === "child" ? "a child" : "an adult"}`, data } };
    };
    const fieldFor = (field) => ({
      "data.person_id": "people-name", "data.name": "people-name", "data.role": "people-role",
      "data.date_of_birth": "people-dob", "data.sex": "people-sex", "data.relationship": "people-relationship",
      "data.household": "people-household", "subjects.0": "people-name", summary: "people-name",
      "data.upn": "people-upn", "data.upn_unknown_reason": "people-upn-reason",
    })[field] || null;
    parts.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(parts, attempt, build, fieldFor, (envelope) => `${envelope.data.name} was added to the case.`);
    });
    return parts;
  }

  function recordRelationshipForm() {
    const parts = formParts("people-relate", "Record a relationship", "Save relationship");
    const person = select("people-relate-person", []);
    const other = select("people-relate-other", []);
    parts.fields.append(
      group("people-relate-person", "Person", person),
      group("people-relate-relationship", "Relationship", select("people-relate-relationship", [["", "Choose a relationship"], ...RELATIONSHIPS.map((r) => [r, r])]),
        "The person is this to the other person: for example, Sam is the mother of Ava"),
      group("people-relate-other", "Other person", other));
    refillers.push(() => {
      for (const list of [person, other]) {
        const chosen = list.value;
        list.replaceChildren(el("option", { value: "" }, "Choose someone"),
          ...[...state.people.values()].map((p) => el("option", { value: p.person_id }, p.name)));
        list.value = state.people.has(chosen) ? chosen : "";
      }
    });
    const attempt = { id: null, saving: false };
    const build = () => {
      const errors = [];
      const data = { person_id: person.value, relationship: document.getElementById("people-relate-relationship").value, other_person_id: other.value };
      if (!data.person_id) errors.push({ id: "people-relate-person", message: "Choose the person" });
      if (!data.relationship) errors.push({ id: "people-relate-relationship", message: "Choose the relationship" });
      if (!data.other_person_id) errors.push({ id: "people-relate-other", message: "Choose the other person" });
      const summary = errors.length ? undefined : sentence(data, state.people);
      return { errors, envelope: { type: "relationship_recorded", subjects: [...new Set([data.person_id, data.other_person_id])], summary, data } };
    };
    const fieldFor = (field) => ({
      "data.person_id": "people-relate-person", "data.other_person_id": "people-relate-other",
      "data.relationship": "people-relate-relationship", "subjects.0": "people-relate-person", "subjects.1": "people-relate-other",
    })[field] || null;
    parts.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(parts, attempt, build, fieldFor, (envelope) => `Recorded: ${sentence(envelope.data, state.people)}.`);
    });
    return parts;
  }

  // A person or relationship saved elsewhere on the page (the recording forms, an import)
  // shows up as a new row of the chronology table when the case is redrawn: then draw again.
  // Rows of the past (as known at an earlier time) are never new, so replaying reads nothing.
  const rows = document.querySelector("#entries tbody");
  if (rows) {
    let pending = null;
    new MutationObserver(() => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        const shown = rows.querySelectorAll("tr.type-person_added, tr.type-relationship_recorded");
        if ([...shown].some((row) => row.dataset.eventId && !state.drawn.has(row.dataset.eventId))) draw();
      }, 200);
    }).observe(rows, { childList: true });
  }

  if (place.onKnownAt) document.removeEventListener("foresight:known-at", place.onKnownAt);
  place.onKnownAt = (event) => {
    if (event.detail.caseId !== caseId || event.detail.asKnownAt === asKnownAt) return;
    asKnownAt = event.detail.asKnownAt;
    draw();
  };
  document.addEventListener("foresight:known-at", place.onKnownAt);

  draw();
}
