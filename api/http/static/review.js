// The reviewer's workspace: the reviews (/ui/reviews) and one review (/ui/reviews/{id}) of a
// case as known at a date. The panel picks key practice episodes on the timeline (or in the
// table, by keyboard), reads each decision's foresight view and what each agency knew at a
// moment, records findings with the Learning Together factors, prints the review and downloads
// its spreadsheet. Every value from the record is written as text, never as HTML.

import { el } from "./dom.js";
import {
  $, api, download, fieldError, londonWallTime, showApiProblem, showProblems, signedIn,
} from "./session.js";
import { describeEntry, readUkWhen, typeInWords, ukWhen } from "./describe.js";
import { caseTimeline, headline, itemClass } from "./timeline.js";
import { foresightGroups, foresightOversight } from "./foresight.js";

// SCIE "Learning Together" underlying patterns (SPEC §8), in words.
const FACTORS = {
  human_tool_operation: "Human–tool operation",
  human_management_systems: "Human–management systems (resources, supervision, performance measures)",
  multi_agency_communication_in_incidents_and_crises: "Multi-agency communication in incidents and crises",
  multi_agency_communication_in_assessment_and_longer_term_work: "Multi-agency communication in assessment and longer-term work",
  family_professional_interaction: "Family–professional interaction",
  human_reasoning: "Human reasoning",
};

const content = () => $("content");
const say = (text) => { $("message").textContent = text || ""; };
const section = (id, title, ...children) => el("section", { id, class: "fs-review-section", "aria-labelledby": `${id}-title` },
  el("h2", { id: `${id}-title`, class: "govuk-heading-m" }, title), ...children);
const field = (id, label, input, hint) => el("div", { class: "govuk-form-group" },
  el("label", { class: "govuk-label", for: id }, label),
  hint ? el("div", { id: `${id}-hint`, class: "govuk-hint" }, hint) : null, input);
// A text input; `hint: true` when its field has a hint it should be described by.
const textInput = (id, { hint = false, ...attrs } = {}) => el("input", {
  class: "govuk-input", id, type: "text", spellcheck: "false", autocomplete: "off",
  "aria-describedby": hint ? `${id}-hint` : null, ...attrs,
});
const button = (text, onclick, secondary = true, attrs = {}) => el("button", {
  type: attrs.type || "button", class: `govuk-button${secondary ? " govuk-button--secondary" : ""}`,
  "data-module": "govuk-button", onclick, ...attrs,
}, text);
const whenOf = (entry) => ukWhen(entry.occurred_at) + (entry.date_uncertain ? " (date not certain)" : "");
const entryLine = (entry) => `${whenOf(entry)} · ${entry.agency} · ${headline(entry)}`;

// ---------------------------------------------------------------- start

async function start() {
  let me;
  try {
    me = await signedIn();
  } catch (error) {
    showProblems([{ text: error.message }]);
    return;
  }
  if (me.role !== "reviewer") {
    document.title = "Reviews · Foresight";
    content().replaceChildren(el("h1", { class: "govuk-heading-l" }, "Reviews"),
      el("p", { class: "govuk-body" }, `Reviews are for reviewers: they show every agency's records. Signed in as ${me.role}, `,
        el("a", { class: "govuk-link", href: "/ui" }, "go to your start page"), "."));
    return;
  }
  const match = /^\/ui\/reviews\/([^/]+)$/.exec(window.location.pathname);
  if (match) return openReview(decodeURIComponent(match[1]));
  return listReviews();
}

// ---------------------------------------------------------------- the reviews, and starting one

async function listReviews() {
  document.title = "Reviews · Foresight";
  const caseId = new URLSearchParams(window.location.search).get("case") || "";
  const form = el("form", { id: "start-form", novalidate: true },
    field("review-case", "Case", textInput("review-case", { value: caseId, class: "govuk-input govuk-input--width-20" })),
    field("review-title", "Title", textInput("review-title")),
    field("review-known-at", "Review the case as known at",
      textInput("review-known-at", { class: "govuk-input govuk-input--width-20", hint: true }),
      "The date the panel reviews the record as it stood, like 31/03/2024, with a time if wanted. Leave it empty for the record as known now."),
    button("Start a review", null, false, { type: "submit" }));
  form.addEventListener("submit", (event) => { event.preventDefault(); startReview(); });
  const table = el("table", { class: "govuk-table", id: "reviews" },
    el("caption", { class: "govuk-table__caption govuk-table__caption--m" }, "Reviews opened"),
    el("thead", { class: "govuk-table__head" }, el("tr", { class: "govuk-table__row" },
      ...["Review", "Case", "Record as known at", "Opened"].map((name) => el("th", { scope: "col", class: "govuk-table__header" }, name)))),
    el("tbody", { class: "govuk-table__body" }));
  const status = el("p", { class: "govuk-body", id: "reviews-status" }, "Loading the reviews…");
  content().replaceChildren(
    el("h1", { class: "govuk-heading-l" }, "Reviews"),
    el("p", { class: "govuk-body" }, "A systems-approach review of one case: key practice episodes, what each decision's maker knew, and findings with the Learning Together factors."),
    el("div", { class: "govuk-grid-row" }, el("div", { class: "govuk-grid-column-two-thirds" },
      el("h2", { class: "govuk-heading-m" }, "Start a review"), form)),
    status, table);
  try {
    const reviews = await api("/reviews");
    table.querySelector("tbody").replaceChildren(...reviews.map((review) => el("tr", { class: "govuk-table__row" },
      el("th", { scope: "row", class: "govuk-table__header" },
        el("a", { class: "govuk-link", href: `/ui/reviews/${encodeURIComponent(review.review_id)}` }, review.title)),
      el("td", { class: "govuk-table__cell" }, review.case_id),
      el("td", { class: "govuk-table__cell" }, review.case_as_known_at ? ukWhen(review.case_as_known_at) : "the time of reading"),
      el("td", { class: "govuk-table__cell" }, `${ukWhen(review.opened_at)} by ${review.opened_by}`))));
    table.hidden = !reviews.length;
    status.textContent = reviews.length ? "" : "No review has been opened yet.";
  } catch (error) {
    status.textContent = `The reviews could not be listed: ${error.message}`;
  }
}

async function startReview() {
  const problems = [];
  const caseId = $("review-case").value.trim();
  const title = $("review-title").value.trim();
  const known = readUkWhen($("review-known-at").value);
  const check = (id, text) => { fieldError(id, text || ""); if (text) problems.push({ text, field: id }); };
  check("review-case", caseId ? "" : "Enter the case id, like FAM-0042");
  check("review-title", title ? "" : "Enter a title for the review");
  check("review-known-at", known.error);
  showProblems(problems);
  if (problems.length) return;
  try {
    const review = await api("/reviews", {
      method: "POST", body: { case_id: caseId, title, case_as_known_at: known.value || undefined },
    });
    window.location.assign(`/ui/reviews/${encodeURIComponent(review.review_id)}`);
  } catch (error) {
    showApiProblem(error, { case_id: "review-case", title: "review-title", case_as_known_at: "review-known-at" }, "review-case");
  }
}

// ---------------------------------------------------------------- one review

const state = {
  view: null,       // GET /reviews/{id}
  entries: [],      // the case's chronology as known at the review's date (the whole record)
  chosen: new Set(),
  timeline: null,
};

async function openReview(reviewId) {
  try {
    state.view = await api(`/reviews/${encodeURIComponent(reviewId)}`);
  } catch (error) {
    document.title = "Review not found · Foresight";
    content().replaceChildren(el("h1", { class: "govuk-heading-l" }, "Review not found"),
      el("p", { class: "govuk-body" }, error.message, " ", el("a", { class: "govuk-link", href: "/ui/reviews" }, "See the reviews"), "."));
    return;
  }
  const view = state.view;
  document.title = `${view.title} · Reviews · Foresight`;
  const knownAt = view.case_as_known_at;
  try {
    state.entries = await api(`/cases/${encodeURIComponent(view.case_id)}/chronology`, { params: { as_known_at: knownAt } });
  } catch (error) {
    showProblems([{ text: `The case could not be read: ${error.message}` }]);
    return;
  }
  const fact = (key, value) => el("div", { class: "govuk-summary-list__row" },
    el("dt", { class: "govuk-summary-list__key" }, key), el("dd", { class: "govuk-summary-list__value" }, value));
  content().replaceChildren(
    el("span", { class: "govuk-caption-l" }, "Review"),
    el("h1", { class: "govuk-heading-l", id: "review-title" }, view.title),
    el("dl", { class: "govuk-summary-list fs-review-facts" },
      fact("Case", el("a", { class: "govuk-link", href: `/ui/cases/${encodeURIComponent(view.case_id)}` }, view.case_id)),
      fact("The record as known at", knownAt ? ukWhen(knownAt) : "the time of reading"),
      fact("Opened", `${ukWhen(view.opened_at)} by ${view.opened_by}`),
      fact("Reference", view.review_id)),
    el("div", { class: "fs-inline fs-no-print" },
      button("Print this review", () => window.print(), false),
      button("Download the spreadsheet (XLSX)", downloadSpreadsheet)),
    timelineSection(),
    choosingSection(),
    section("episodes", "Key practice episodes", el("div", { id: "episode-list" })),
    matrixSection(),
    section("findings", "Findings", el("div", { id: "finding-list" })));
  drawEntries();
  drawReview();
}

async function downloadSpreadsheet() {
  try {
    const name = await download(`/reviews/${encodeURIComponent(state.view.review_id)}`, { format: "xlsx" }, "review.xlsx");
    say(`Downloaded ${name}.`);
  } catch (error) {
    showProblems([{ text: `The spreadsheet could not be downloaded: ${error.message}` }]);
  }
}

async function reloadReview() {
  state.view = await api(`/reviews/${encodeURIComponent(state.view.review_id)}`);
  drawReview();
}

// ---------------------------------------------------------------- the timeline and the entries

function timelineSection() {
  const box = el("div", { id: "timeline", class: "timeline", role: "img",
    "aria-label": "Timeline of the case as known then, one lane per agency; the same entries are in the table below, where they can be chosen by keyboard" });
  const table = el("table", { id: "review-entries", class: "govuk-table fs-entries fs-review-entries" },
    el("caption", { class: "govuk-table__caption govuk-visually-hidden" }, "The case's entries in the order they happened; tick an entry to choose it"),
    el("thead", { class: "govuk-table__head" }, el("tr", { class: "govuk-table__row" },
      ...["Choose", "When", "Agency", "Entry"].map((name) => el("th", { scope: "col", class: "govuk-table__header" }, name)))),
    el("tbody", { class: "govuk-table__body" }));
  return section("case-timeline", "The case as known then",
    el("p", { class: "govuk-body" }, "Choose the entries of a key practice episode on the timeline (hold Ctrl or Shift to choose more than one) or tick them in the table. Or zoom the timeline to the episode's span and choose every entry shown."),
    box,
    el("div", { class: "fs-inline fs-no-print" },
      button("Choose every entry shown on the timeline", chooseSpanShown),
      button("Show the whole case", () => state.timeline.timeline.fit({ animation: false }))),
    el("div", { class: "columns" },
      el("div", { class: "fs-table-scroll" }, table),
      el("aside", { id: "panel", class: "panel", "aria-live": "polite", "aria-labelledby": "panel-title", tabindex: "0" },
        el("h2", { id: "panel-title", class: "govuk-heading-m" }, "Details"),
        el("div", { id: "panel-body" }, el("p", { class: "govuk-body" }, "Choose a decision to see its foresight view: what its maker knew, what others held and what was learned later.")))));
}

function drawEntries() {
  state.timeline = caseTimeline($("timeline"), {
    multiselect: true,
    onSelect: (ids) => {
      const added = ids.filter((id) => !state.chosen.has(id));
      state.chosen = new Set(ids);
      syncChosen();
      const shown = added.at(-1) || ids.at(-1);
      if (shown) showEntry(shown);
    },
  });
  state.timeline.draw(state.entries);
  $("review-entries").querySelector("tbody").replaceChildren(...state.entries.map((entry) => {
    const boxId = `choose-${entry.event_id}`;
    return el("tr", { class: `govuk-table__row ${itemClass(entry)}`, dataset: { eventId: entry.event_id }, id: `row-${entry.event_id}` },
      el("td", { class: "govuk-table__cell" },
        el("div", { class: "govuk-checkboxes govuk-checkboxes--small" }, el("div", { class: "govuk-checkboxes__item" },
          el("input", { class: "govuk-checkboxes__input", type: "checkbox", id: boxId, dataset: { eventId: entry.event_id },
            onchange: (event) => {
              if (event.target.checked) state.chosen.add(entry.event_id);
              else state.chosen.delete(entry.event_id);
              syncChosen();
            } }),
          el("label", { class: "govuk-label govuk-checkboxes__label", for: boxId },
            el("span", { class: "govuk-visually-hidden" }, `Choose ${entryLine(entry)}`))))),
      el("td", { class: "govuk-table__cell" }, whenOf(entry)),
      el("td", { class: "govuk-table__cell" }, entry.agency),
      el("td", { class: "govuk-table__cell" },
        el("button", { type: "button", class: "linkish", onclick: () => showEntry(entry.event_id) },
          entry.type === "decision_made" ? `Decision: ${headline(entry)}` : headline(entry))));
  }));
}

function chooseSpanShown() {
  const { start, end } = state.timeline.timeline.getWindow();
  const inSpan = state.entries.filter((entry) => {
    const at = new Date(entry.occurred_at.length === 10 ? `${entry.occurred_at}T12:00:00Z` : entry.occurred_at);
    return at >= start && at <= end;
  });
  state.chosen = new Set(inSpan.map((entry) => entry.event_id));
  $("episode-starts").value = ukTyped(start.toISOString());
  $("episode-ends").value = ukTyped(end.toISOString());
  syncChosen();
  say(`${inSpan.length} ${inSpan.length === 1 ? "entry" : "entries"} chosen from ${ukWhen(start.toISOString())} to ${ukWhen(end.toISOString())}.`);
}

function ukTyped(iso) {
  // An instant as typed the UK way in a When field: 16/01/2024 12:00, London wall time.
  const local = londonWallTime(iso);
  return `${local.slice(8, 10)}/${local.slice(5, 7)}/${local.slice(0, 4)} ${local.slice(11)}`;
}

function syncChosen() {
  // The timeline's selection, the table's ticks and the chosen list say the same.
  state.timeline.timeline.setSelection([...state.chosen]);
  for (const box of document.querySelectorAll("#review-entries input[type=checkbox]")) {
    box.checked = state.chosen.has(box.dataset.eventId);
    box.closest("tr").classList.toggle("chosen", box.checked);
  }
  const chosen = state.entries.filter((entry) => state.chosen.has(entry.event_id));
  $("chosen-count").textContent = `(${chosen.length})`;
  $("chosen-list").replaceChildren(...(chosen.length
    ? chosen.map((entry) => el("li", {}, entryLine(entry)))
    : [el("li", {}, "None yet: choose entries on the timeline or in the table.")]));
}

function showEntry(eventId) {
  const entry = state.entries.find((e) => e.event_id === eventId);
  if (!entry) return;
  if (entry.type === "decision_made") {
    showForesight(entry);
    return;
  }
  $("panel-title").textContent = typeInWords(entry.type);
  $("panel-body").replaceChildren(describeEntry(entry, {
    shown: ukWhen, headline, el, entryById: (id) => state.entries.find((e) => e.event_id === id),
    choose: (id) => showEntry(id), personName: (id) => id,
  }));
}

async function showForesight(decision) {
  $("panel-title").textContent = "Decision: foresight view";
  const body = $("panel-body");
  body.replaceChildren(el("p", { class: "govuk-body" }, headline(decision)));
  try {
    // The groups are read at the decision's cutoff; its oversight as known at the review's date.
    const view = await api(`/cases/${encodeURIComponent(state.view.case_id)}/decisions/${decision.event_id}/foresight`, {
      params: { as_known_at: state.view.case_as_known_at },
    });
    body.replaceChildren(foresightView(view),
      button("What each agency knew then", () => showMatrix(view.cutoff)));
  } catch (error) {
    body.append(el("p", { class: "govuk-body error" }, error.message));
  }
}

// One decision's foresight view: its facts, each group, then the managers' oversight of it
// (foresight.js).
function foresightView(view) {
  const decision = view.decision;
  const whole = el("div", { class: "fs-foresight" },
    el("dl", { class: "govuk-summary-list govuk-summary-list--no-border" },
      ...[["Decision", headline(decision)], ["Agency", view.deciding_agency], ["When", whenOf(decision)], ["Cutoff", ukWhen(view.cutoff)]]
        .map(([key, value]) => el("div", { class: "govuk-summary-list__row" },
          el("dt", { class: "govuk-summary-list__key" }, key), el("dd", { class: "govuk-summary-list__value" }, value)))));
  whole.append(...foresightGroups(view, { line: entryLine }), foresightOversight(view, { shown: ukWhen }));
  return whole;
}

// ---------------------------------------------------------------- episodes and findings

function choosingSection() {
  const episodeForm = el("form", { id: "episode-form", novalidate: true, class: "fs-review-form" },
    el("h3", { class: "govuk-heading-s" }, "Save the chosen entries as a key practice episode"),
    field("episode-title", "Episode title", textInput("episode-title")),
    field("episode-summary", "What happened in it (optional)", el("textarea", { class: "govuk-textarea", id: "episode-summary", rows: "2" })),
    el("div", { class: "fs-inline" },
      field("episode-starts", "Starts", textInput("episode-starts", { class: "govuk-input govuk-input--width-10 fs-datetime", hint: true }),
        "Empty: the first chosen entry"),
      field("episode-ends", "Ends", textInput("episode-ends", { class: "govuk-input govuk-input--width-10 fs-datetime", hint: true }),
        "Empty: the last chosen entry")),
    button("Save episode", null, false, { type: "submit" }));
  episodeForm.addEventListener("submit", (event) => { event.preventDefault(); saveEpisode(); });

  const factors = el("div", { class: "govuk-checkboxes govuk-checkboxes--small", "data-module": "govuk-checkboxes" },
    // The review's own vocabulary (events/reviews.py), in words where this page knows them.
    ...state.view.factor_vocabulary.map((key) => [key, FACTORS[key] || key.replaceAll("_", " ")]).map(([key, words]) => el("div", { class: "govuk-checkboxes__item" },
      el("input", { class: "govuk-checkboxes__input", type: "checkbox", id: `factor-${key}`, name: "factors", value: key }),
      el("label", { class: "govuk-label govuk-checkboxes__label", for: `factor-${key}` }, words))));
  const findingForm = el("form", { id: "finding-form", novalidate: true, class: "fs-review-form" },
    el("h3", { class: "govuk-heading-s" }, "Record a finding resting on the chosen entries"),
    field("finding-text", "Finding", el("textarea", { class: "govuk-textarea", id: "finding-text", rows: "3" })),
    el("div", { class: "govuk-form-group", id: "finding-factors-group" },
      el("fieldset", { class: "govuk-fieldset", id: "finding-factors", "aria-describedby": "finding-factors-hint" },
        el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, "Contributory factors"),
        el("div", { id: "finding-factors-hint", class: "govuk-hint" }, "The Learning Together patterns the finding shows; choose any that apply"),
        factors)),
    field("finding-tags", "Other factors (optional)", textInput("finding-tags", { hint: true }), "Your own words, separated by commas"),
    field("finding-episode", "Episode (optional)", el("select", { class: "govuk-select", id: "finding-episode" })),
    button("Record finding", null, false, { type: "submit" }));
  findingForm.addEventListener("submit", (event) => { event.preventDefault(); saveFinding(); });

  return section("choosing", "Chosen entries",
    el("p", { class: "govuk-body" }, "Entries chosen ", el("span", { id: "chosen-count", class: "count" }, "(0)")),
    el("ul", { id: "chosen-list", class: "govuk-list govuk-list--bullet", "aria-live": "polite" },
      el("li", {}, "None yet: choose entries on the timeline or in the table.")),
    button("Clear the chosen entries", () => { state.chosen.clear(); syncChosen(); }),
    el("div", { class: "fs-review-forms" }, episodeForm, findingForm));
}

async function saveEpisode() {
  const problems = [];
  const check = (id, text) => { fieldError(id, text || ""); if (text) problems.push({ text, field: id }); };
  const title = $("episode-title").value.trim();
  const starts = readUkWhen($("episode-starts").value);
  const ends = readUkWhen($("episode-ends").value);
  const chosen = state.entries.filter((entry) => state.chosen.has(entry.event_id));
  check("episode-title", title ? "" : "Enter a title for the episode");
  check("episode-starts", starts.error);
  check("episode-ends", ends.error);
  if (!chosen.length) problems.push({ text: "Choose the episode's entries on the timeline or in the table", field: `choose-${state.entries[0]?.event_id}` });
  showProblems(problems);
  if (problems.length) return;
  const summary = $("episode-summary").value.trim();
  try {
    await api(`/reviews/${encodeURIComponent(state.view.review_id)}/episodes`, {
      method: "POST",
      body: {
        title, summary: summary || undefined,
        starts: starts.value || chosen[0].occurred_at,
        ends: ends.value || chosen.at(-1).occurred_at,
        event_ids: chosen.map((entry) => entry.event_id),
      },
    });
  } catch (error) {
    showApiProblem(error, { title: "episode-title", summary: "episode-summary", starts: "episode-starts", ends: "episode-ends" }, "episode-title");
    return;
  }
  for (const id of ["episode-title", "episode-summary", "episode-starts", "episode-ends"]) $(id).value = "";
  state.chosen.clear();
  syncChosen();
  await reloadReview();
  say(`Episode “${title}” saved.`);
}

async function saveFinding() {
  const problems = [];
  const text = $("finding-text").value.trim();
  fieldError("finding-text", text ? "" : "Enter the finding");
  if (!text) problems.push({ text: "Enter the finding", field: "finding-text" });
  showProblems(problems);
  if (problems.length) return;
  const factors = [...document.querySelectorAll("#finding-factors input:checked")].map((box) => box.value);
  const tags = $("finding-tags").value.split(",").map((tag) => tag.trim()).filter(Boolean);
  try {
    await api(`/reviews/${encodeURIComponent(state.view.review_id)}/findings`, {
      method: "POST",
      body: {
        text, factors, tags, event_ids: [...state.chosen],
        episode_id: $("finding-episode").value || undefined,
      },
    });
  } catch (error) {
    showApiProblem(error, { text: "finding-text", tags: "finding-tags", episode_id: "finding-episode" }, "finding-text");
    return;
  }
  $("finding-text").value = "";
  $("finding-tags").value = "";
  for (const box of document.querySelectorAll("#finding-factors input")) box.checked = false;
  state.chosen.clear();
  syncChosen();
  await reloadReview();
  say("Finding recorded.");
}

function drawReview() {
  const view = state.view;
  const byId = new Map(state.entries.map((entry) => [entry.event_id, entry]));
  $("finding-episode").replaceChildren(el("option", { value: "" }, "none"),
    ...view.episodes.map((episode) => el("option", { value: episode.episode_id }, `${episode.episode_id}. ${episode.title}`)));
  $("episode-list").replaceChildren(...(view.episodes.length ? view.episodes.map((episode) => el("article", { class: "fs-episode", "aria-labelledby": `episode-${episode.episode_id}` },
    el("h3", { class: "govuk-heading-s", id: `episode-${episode.episode_id}` }, `${episode.episode_id}. ${episode.title}`),
    el("p", { class: "govuk-body-s" }, `${ukWhen(episode.starts)} to ${ukWhen(episode.ends)} · chosen by ${episode.selected_by}`),
    episode.summary ? el("p", { class: "govuk-body" }, episode.summary) : null,
    el("ul", { class: "govuk-list govuk-list--bullet" }, ...episode.entries.map((entry) => el("li", {}, entryLine(entry)))),
    ...episode.decisions.map((decision) => el("div", { class: "fs-episode-decision" },
      el("h4", { class: "govuk-heading-s" }, `Foresight view: ${headline(decision.decision)}`), foresightView(decision)))))
    : [el("p", { class: "govuk-body" }, "No episode yet: choose entries above and save them as an episode.")]));
  $("finding-list").replaceChildren(...(view.findings.length ? view.findings.map((finding) => el("article", { class: "fs-finding" },
    el("h3", { class: "govuk-heading-s" }, `${finding.finding_id}. ${finding.text}`),
    el("dl", { class: "govuk-summary-list govuk-summary-list--no-border" },
      ...[
        ["Contributory factors", finding.factors.map((key) => FACTORS[key] || key).join("; ") || "none given"],
        ["Other factors", finding.tags.join(", ") || "none"],
        ["Episode", finding.episode_id || "none"],
        ["Rests on", finding.event_ids.length
          ? el("ul", { class: "govuk-list" }, ...finding.event_ids.map((id) => el("li", {}, byId.has(id) ? entryLine(byId.get(id)) : id)))
          : "no entries"],
        ["Recorded by", finding.recorded_by],
      ].map(([key, value]) => el("div", { class: "govuk-summary-list__row" },
        el("dt", { class: "govuk-summary-list__key" }, key), el("dd", { class: "govuk-summary-list__value" }, value))))))
    : [el("p", { class: "govuk-body" }, "No finding yet.")]));
}

// ---------------------------------------------------------------- what each agency knew

function matrixSection() {
  const form = el("form", { id: "matrix-form", novalidate: true, class: "fs-no-print" },
    el("div", { class: "fs-inline" },
      field("matrix-at", "At", textInput("matrix-at", { class: "govuk-input govuk-input--width-10 fs-datetime", hint: true }),
        "A moment like 16/01/2024 12:00, or a date for its end. Empty: the review's date."),
      button("Show what each agency knew", null, true, { type: "submit" })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const at = readUkWhen($("matrix-at").value);
    fieldError("matrix-at", at.error || "");
    if (at.error) { showProblems([{ text: at.error, field: "matrix-at" }]); return; }
    showProblems([]);
    showMatrix(at.value);
  });
  return section("matrix", "What each agency knew", form, el("div", { id: "matrix-body" }));
}

const REACH_WORDS = {
  recorded: (reach) => `Recorded it, ${ukWhen(reach.known_from)}`,
  addressed: (reach) => `Told by this share, ${ukWhen(reach.known_from)}`,
  shared: (reach) => `${reach.known_at_moment ? "Shared" : "Shared later"}, ${ukWhen(reach.known_from)}`,
  never: () => "Never shared",
};

async function showMatrix(at) {
  const body = $("matrix-body");
  body.replaceChildren(el("p", { class: "govuk-body" }, "Reading what each agency knew…"));
  let matrix;
  try {
    matrix = await api(`/cases/${encodeURIComponent(state.view.case_id)}/knowledge`, {
      params: { at, as_known_at: state.view.case_as_known_at },
    });
  } catch (error) {
    body.replaceChildren();
    showApiProblem(error, { at: "matrix-at" }, "matrix-at");
    return;
  }
  // One column per agency: what it knew, those no other agency knew tagged so, in one list.
  const line = (entry) => `${whenOf(entry)} · ${headline(entry)}`;
  const columns = el("div", { class: "fs-matrix" }, ...matrix.columns.map((column) => {
    const alone = new Set(column.held_alone);
    return el("section", { class: "fs-matrix__agency", "aria-labelledby": `knew-${column.agency}` },
      el("h3", { class: "govuk-heading-s", id: `knew-${column.agency}` }, column.agency),
      el("p", { class: "govuk-body-s" }, `Knew ${column.knew.length}; ${alone.size} that no other agency knew.`),
      el("ul", { class: "govuk-list fs-matrix__list" }, ...(column.knew.length
        ? column.knew.map((entry) => alone.has(entry.event_id)
          ? el("li", { class: "fs-held-alone" }, line(entry), " ", el("strong", { class: "govuk-tag govuk-tag--orange fs-alone-tag" }, "held alone"))
          : el("li", {}, line(entry)))
        : [el("li", { class: "none" }, "nothing")])));
  }));
  const table = el("table", { class: "govuk-table fs-reach", id: "reach-table" },
    el("caption", { class: "govuk-table__caption govuk-table__caption--s" }, "When each entry reached each agency"),
    el("thead", { class: "govuk-table__head" }, el("tr", { class: "govuk-table__row" },
      el("th", { scope: "col", class: "govuk-table__header" }, "Entry"),
      ...matrix.agencies.map((agency) => el("th", { scope: "col", class: "govuk-table__header" }, agency)))),
    el("tbody", { class: "govuk-table__body" }, ...matrix.rows.map((row) => el("tr", { class: "govuk-table__row" },
      el("th", { scope: "row", class: "govuk-table__header" }, entryLine(row.entry)),
      ...row.reached.map((reach) => el("td", { class: `govuk-table__cell reach-${reach.route}` }, REACH_WORDS[reach.route](reach)))))));
  body.replaceChildren(
    el("p", { class: "govuk-body", id: "matrix-moment" }, `At ${ukWhen(matrix.at)}, with every share known ${state.view.case_as_known_at ? `by ${ukWhen(state.view.case_as_known_at)}` : "now"}.`),
    columns,
    el("div", { class: "fs-table-scroll", role: "region", "aria-label": "When each entry reached each agency", tabindex: "0" }, table));
  $("matrix").scrollIntoView?.({ block: "start" });
}

window.addEventListener("DOMContentLoaded", start);
