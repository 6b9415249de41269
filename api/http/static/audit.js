// The auditor's screens (/ui/audit): the access log (who read which case or person, when, as
// known when) and the recording audit (who recorded, corrected, retracted or shared what, and
// how late), filtered, a page at a time, and downloaded whole as CSV, XLSX or Parquet.
// Every value from the logs is written as text, never as HTML.

import { el } from "./dom.js";
import { $, apiWithHeaders, download, fieldError, showApiProblem, showProblems, signedIn } from "./session.js";
import { readUkWhen, ukWhen } from "./describe.js";

const LOGS = {
  access: {
    title: "Access log",
    path: "/audit/access",
    userParam: "reader",
    noun: ["read", "reads"],
    columns: [
      ["at", "When", "when"], ["user", "User"], ["role", "Role"], ["agency", "Agency"],
      ["endpoint", "What was read"], ["case_id", "Case"], ["person_id", "Person"],
      ["as_known_at", "As known at", "knownAt"], ["viewed_as", "Viewed as", "viewer"],
    ],
  },
  recording: {
    title: "Recording audit",
    path: "/audit/recording",
    userParam: "recorded_by",
    noun: ["event", "events"],
    columns: [
      ["recorded_at", "Recorded", "when"], ["occurred_at", "Happened", "when"],
      ["days_to_record", "Days to record", "days"], ["late", "Late", "yes"], ["case_id", "Case"],
      ["type", "Type", "words"], ["action", "Action"], ["agency", "Agency"],
      ["recorded_by", "Recorded by"], ["to_agency", "Shared with"],
    ],
  },
};
const FIELDS = {
  case_id: "audit-case", person_id: "audit-person", reader: "audit-user", recorded_by: "audit-user",
  agency: "audit-agency", since: "audit-since", until: "audit-until", limit: "audit-page-size",
};
const SHOWN = {
  when: (value) => (value ? ukWhen(value) : ""),
  days: (value) => (value === null || value === undefined ? "" : Number(value).toFixed(1)),
  yes: (value) => (value ? "Yes" : "No"),
  words: (value) => String(value || "").replaceAll("_", " "),
  knownAt: (value) => (value ? ukWhen(value) : "now"),
  // The access log's "*" is a read of the whole record rather than as one agency.
  viewer: (value) => (!value || value === "*" ? "the whole record" : value),
};

const state = { log: "access", filters: {}, offset: 0, limit: 50 };

async function start() {
  let me;
  try {
    me = await signedIn();
  } catch (error) {
    showProblems([{ text: error.message }]);
    return;
  }
  document.title = "Audit · Foresight";
  if (me.role !== "auditor") {
    $("content").replaceChildren(el("h1", { class: "govuk-heading-l" }, "Audit"),
      el("p", { class: "govuk-body" }, `The audit screens are for auditors. Signed in as ${me.role}, `,
        el("a", { class: "govuk-link", href: "/ui" }, "go to your start page"), "."));
    return;
  }
  $("content").replaceChildren(
    el("h1", { class: "govuk-heading-l" }, "Audit"),
    el("p", { class: "govuk-body" }, "Who read which case or person and when, and who recorded, corrected, retracted or shared what and how late. Both logs are append-only."),
    filterForm(),
    el("section", { id: "results", "aria-labelledby": "results-title" },
      el("h2", { id: "results-title", class: "govuk-heading-m" }, ""),
      el("p", { id: "results-status", class: "govuk-body", role: "status" }),
      el("div", { class: "fs-inline", id: "downloads" },
        ...["CSV", "XLSX", "Parquet"].map((kind) => el("button", {
          type: "button", class: "govuk-button govuk-button--secondary", "data-module": "govuk-button",
          onclick: () => downloadLog(kind.toLowerCase()),
        }, `Download ${kind}`))),
      el("div", { class: "fs-table-scroll", role: "region", "aria-labelledby": "results-title", tabindex: "0" },
        el("table", { id: "audit-table", class: "govuk-table fs-audit-table" })),
      el("nav", { class: "govuk-pagination", id: "pages", "aria-label": "Pages of the log" })));
  readFilters();
  await show();
}

function filterForm() {
  const input = (id, label, hint, width = "govuk-input--width-20") => el("div", { class: "govuk-form-group fs-control" },
    el("label", { class: "govuk-label", for: id }, label),
    hint ? el("div", { class: "govuk-hint", id: `${id}-hint` }, hint) : null,
    el("input", { class: `govuk-input ${width}`, id, type: "text", spellcheck: "false", autocomplete: "off",
      "aria-describedby": hint ? `${id}-hint` : null }));
  const radio = (value, label, hint) => el("div", { class: "govuk-radios__item" },
    el("input", { class: "govuk-radios__input", id: `audit-log-${value}`, name: "log", type: "radio", value,
      checked: value === "access", "aria-describedby": `audit-log-${value}-hint` }),
    el("label", { class: "govuk-label govuk-radios__label", for: `audit-log-${value}` }, label),
    el("div", { class: "govuk-hint govuk-radios__hint", id: `audit-log-${value}-hint` }, hint));
  const form = el("form", { id: "audit-form", class: "fs-controls fs-filters", novalidate: true, "aria-label": "Filters" },
    el("div", { class: "govuk-form-group fs-control fs-control--wide" },
      el("fieldset", { class: "govuk-fieldset" },
        el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, "Which log"),
        el("div", { class: "govuk-radios govuk-radios--small", "data-module": "govuk-radios" },
          radio("access", "Access log", "Who read which case or person"),
          radio("recording", "Recording audit", "Who recorded, corrected, retracted or shared what")))),
    input("audit-case", "Case", null, "govuk-input--width-10"),
    input("audit-person", "Person", null, "govuk-input--width-10"),
    input("audit-user", "User", "Who read, or who recorded", "govuk-input--width-10"),
    input("audit-agency", "Agency", null, "govuk-input--width-10"),
    input("audit-since", "From", "Like 01/03/2024 or 01/03/2024 09:00", "govuk-input--width-10"),
    input("audit-until", "Until", "Empty for now", "govuk-input--width-10"),
    el("div", { class: "govuk-form-group fs-control fs-control--wide" },
      el("div", { class: "govuk-checkboxes govuk-checkboxes--small", "data-module": "govuk-checkboxes" },
        el("div", { class: "govuk-checkboxes__item" },
          el("input", { class: "govuk-checkboxes__input", id: "audit-late", type: "checkbox", "aria-describedby": "audit-late-hint" }),
          el("label", { class: "govuk-label govuk-checkboxes__label", for: "audit-late" }, "Late entries only"),
          el("div", { class: "govuk-hint govuk-checkboxes__hint", id: "audit-late-hint" }, "Recording audit: recorded more than 7 days after they happened")))),
    el("div", { class: "govuk-form-group fs-control" },
      el("label", { class: "govuk-label", for: "audit-page-size" }, "Rows per page"),
      el("select", { class: "govuk-select", id: "audit-page-size" },
        ...[10, 25, 50, 100].map((size) => el("option", { value: String(size), selected: size === 50 }, String(size))))),
    el("div", { class: "govuk-form-group fs-control" },
      el("button", { type: "submit", class: "govuk-button", "data-module": "govuk-button" }, "Show")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!readFilters()) return;
    state.offset = 0;
    await show();
  });
  return form;
}

function readFilters() {
  // The filters as the API's query, or false (each problem beside its field) when one is wrong.
  const problems = [];
  const when = (id, startOfDay) => {
    const read = readUkWhen($(id).value);
    fieldError(id, read.error || "");
    if (read.error) problems.push({ text: read.error, field: id });
    // A date alone means its start for "From" (the API reads a date as the end of that day).
    return read.value && read.value.length === 10 && startOfDay ? `${read.value}T00:00` : read.value;
  };
  state.log = document.querySelector("input[name=log]:checked").value;
  const log = LOGS[state.log];
  const filters = {
    case_id: $("audit-case").value.trim(),
    person_id: $("audit-person").value.trim(),
    [log.userParam]: $("audit-user").value.trim(),
    agency: $("audit-agency").value.trim(),
    since: when("audit-since", true),
    until: when("audit-until", false),
  };
  if (state.log === "recording" && $("audit-late").checked) filters.late_only = "true";
  for (const id of ["audit-case", "audit-person", "audit-user", "audit-agency"]) fieldError(id, "");
  showProblems(problems);
  if (problems.length) return false;
  state.filters = filters;
  state.limit = Number($("audit-page-size").value);
  return true;
}

async function show() {
  const log = LOGS[state.log];
  $("results-title").textContent = log.title;
  $("results-status").textContent = "Reading the log…";
  $("message").textContent = "";
  let rows, total;
  try {
    const { body, headers } = await apiWithHeaders(log.path, {
      params: { ...state.filters, limit: state.limit, offset: state.offset },
    });
    rows = body;
    total = Number(headers.get("X-Total-Count") || body.length);
  } catch (error) {
    $("results-status").textContent = "";
    showApiProblem(error, FIELDS, "audit-case");
    return;
  }
  const [one, many] = log.noun;
  $("results-status").textContent = total
    ? `Showing ${state.offset + 1} to ${state.offset + rows.length} of ${total} ${total === 1 ? one : many}.`
    : `No ${many} match these filters.`;
  $("downloads").hidden = !total;
  drawTable(log, rows);
  drawPages(total);
}

function drawTable(log, rows) {
  const table = $("audit-table");
  table.replaceChildren(
    el("caption", { class: "govuk-table__caption govuk-visually-hidden" }, `${log.title}, this page`),
    el("thead", { class: "govuk-table__head" }, el("tr", { class: "govuk-table__row" },
      ...log.columns.map(([, label]) => el("th", { scope: "col", class: "govuk-table__header" }, label)))),
    el("tbody", { class: "govuk-table__body" }, ...rows.map((row) => el("tr", { class: `govuk-table__row${row.late ? " fs-late" : ""}` },
      ...log.columns.map(([key, , how]) => el("td", { class: "govuk-table__cell" },
        how ? SHOWN[how](row[key]) : row[key] ?? ""))))));
  table.hidden = !rows.length;
}

function drawPages(total) {
  // GOV.UK pagination: previous and next, and which page of how many.
  const nav = $("pages");
  nav.replaceChildren();
  const pages = Math.ceil(total / state.limit);
  if (pages <= 1) return;
  const page = Math.floor(state.offset / state.limit) + 1;
  const go = (offset) => async (event) => {
    event.preventDefault();
    state.offset = offset;
    await show();
    $("results-title").scrollIntoView?.({ block: "start" });
  };
  if (page > 1) {
    nav.append(el("div", { class: "govuk-pagination__prev" },
      el("a", { class: "govuk-link govuk-pagination__link", href: "#results", rel: "prev", onclick: go(state.offset - state.limit) },
        el("span", { class: "govuk-pagination__link-title" }, "Previous", el("span", { class: "govuk-visually-hidden" }, " page")))));
  }
  nav.append(el("p", { class: "govuk-body govuk-!-margin-bottom-0 fs-page-of" }, `Page ${page} of ${pages}`));
  if (page < pages) {
    nav.append(el("div", { class: "govuk-pagination__next" },
      el("a", { class: "govuk-link govuk-pagination__link", href: "#results", rel: "next", onclick: go(state.offset + state.limit) },
        el("span", { class: "govuk-pagination__link-title" }, "Next", el("span", { class: "govuk-visually-hidden" }, " page")))));
  }
}

async function downloadLog(format) {
  // The whole filtered log (not one page), fetched with the token and saved.
  try {
    const name = await download(LOGS[state.log].path, { ...state.filters, format }, `${state.log}.${format}`);
    $("message").textContent = `Downloaded ${name}.`;
  } catch (error) {
    showProblems([{ text: `The download failed: ${error.message}` }]);
  }
}

window.addEventListener("DOMContentLoaded", start);
