// Importing an agency's chronology in the browser: a CSV chosen, its dry-run report shown as
// a table, then written on confirmation. Lives in #import. The file is read here and the very
// text that was checked is the text written, through POST /cases/{id}/imports (the rules of
// `foresight import-chronology`). Every value is written with textContent, never as HTML.

import { el } from "./dom.js";
import { ErrorSummary } from "./vendor/govuk-frontend/govuk-frontend.min.js";

const IMPORTERS = ["practitioner", "manager"];
const MAX_BYTES = 1024 * 1024;  // the app's request body limit
const COLUMN_WORDS = {
  date: "Date", time: "Time", summary: "Summary", significance: "Significance",
  recorded_date: "Recorded date", subjects: "Subjects", impact: "Impact", action: "Action",
  "(row)": "The row",
};

// ---------------------------------------------------------------- small DOM helpers

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

// A refused cell in words: `subjects.0` is the Subjects column.
function reasonInWords({ field, reason }) {
  const column = String(field).split(".")[0];
  return `${COLUMN_WORDS[column] || column}: ${reason}`;
}

function table(caption, head, rows, extraClass = "") {
  const headRow = el("tr", { class: "govuk-table__row" },
    ...head.map((text) => el("th", { scope: "col", class: "govuk-table__header" }, text)));
  const body = el("tbody", { class: "govuk-table__body" });
  for (const [first, ...rest] of rows) {
    body.append(el("tr", { class: "govuk-table__row" },
      el("th", { scope: "row", class: "govuk-table__header" }, first),
      ...rest.map((cell) => el("td", { class: "govuk-table__cell" }, cell))));
  }
  return el("table", { class: `govuk-table ${extraClass}`.trim() },
    el("caption", { class: "govuk-table__caption govuk-table__caption--s" }, caption),
    el("thead", { class: "govuk-table__head" }, headRow), body);
}

// ---------------------------------------------------------------- the import

class Importing {
  constructor(place, { caseId, me, token, refresh }) {
    this.place = place;
    this.caseId = caseId;
    this.me = me;
    this.token = token;
    this.refresh = refresh;
    this.checked = null;  // { name, text, report } once a file has been checked
    this.busy = false;
    this.opener = el("button", {
      type: "button", class: "govuk-button govuk-button--secondary", "aria-expanded": "false",
      "aria-controls": "import-form", onclick: () => this.open(),
    }, "Import a chronology");
    this.status = el("div", { class: "import-status" });
    this.slot = el("div", { class: "import-slot" });
    place.replaceChildren(this.opener, this.status, this.slot);
  }

  // -------------------------------------------------------------- the form

  open() {
    if (this.form) return this.file.focus();
    this.status.replaceChildren();
    this.summarySlot = el("div");
    this.fileError = null;
    this.file = el("input", {
      class: "govuk-file-upload", id: "import-file", name: "chronology", type: "file",
      accept: ".csv,text/csv", "aria-describedby": "import-file-hint",
    });
    this.fileGroup = el("div", { class: "govuk-form-group", id: "import-file-group" },
      el("label", { class: "govuk-label govuk-label--s", for: "import-file" }, "Chronology (CSV)"),
      el("div", { class: "govuk-hint", id: "import-file-hint" },
        "A CSV file saved as UTF-8 (in Excel: Save as, CSV UTF-8), with a header row. Up to 1 MB."),
      this.file);
    this.file.addEventListener("change", () => this.forget());
    this.check = el("button", { type: "submit", class: "govuk-button", "data-module": "govuk-button" }, "Check");
    this.report = el("div", { class: "import-report", "aria-live": "polite" });
    this.form = el("form", { id: "import-form", class: "import-form", novalidate: true, "aria-labelledby": "import-title" },
      el("h2", { class: "govuk-heading-m", id: "import-title" }, "Import your agency's chronology"),
      el("div", { class: "govuk-inset-text" },
        el("p", { class: "govuk-body" },
          `Each row becomes a note of ${this.me.agency} in case ${this.caseId}, recorded by you. `
          + "The columns are date, time, summary, significance, recorded date, subjects, impact "
          + "and action; only date and summary are needed. Dates may be written 15/03/2024."),
        el("p", { class: "govuk-body" },
          "Check shows what the import would do. Nothing is written until you confirm, and a "
          + "row already in the case is never written twice.")),
      this.summarySlot, this.fileGroup,
      el("div", { class: "govuk-button-group" }, this.check,
        el("button", { type: "button", class: "govuk-button govuk-button--secondary", onclick: () => this.close() }, "Cancel")),
      this.report);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.checkFile();
    });
    this.slot.replaceChildren(this.form);
    this.opener.setAttribute("aria-expanded", "true");
    this.file.focus();
  }

  close() {
    this.slot.replaceChildren();
    this.form = null;
    this.checked = null;
    this.opener.setAttribute("aria-expanded", "false");
    this.opener.focus();
  }

  forget() {
    // Another file chosen: the last report is not about it.
    this.checked = null;
    this.report.replaceChildren();
    this.clearErrors();
  }

  // -------------------------------------------------------------- errors, GOV.UK style

  clearErrors() {
    this.summarySlot.replaceChildren();
    this.fileError?.remove();
    this.fileError = null;
    this.fileGroup.classList.remove("govuk-form-group--error");
    this.file.classList.remove("govuk-file-upload--error");
    this.file.setAttribute("aria-describedby", "import-file-hint");
  }

  showError(message, { besideTheFile = true } = {}) {
    this.clearErrors();
    if (besideTheFile) {
      this.fileError = el("p", { class: "govuk-error-message", id: "import-file-error" },
        el("span", { class: "govuk-visually-hidden" }, "Error: "), message);
      this.file.before(this.fileError);
      this.fileGroup.classList.add("govuk-form-group--error");
      this.file.classList.add("govuk-file-upload--error");
      this.file.setAttribute("aria-describedby", "import-file-hint import-file-error");
    }
    const item = besideTheFile ? el("a", { href: "#import-file" }, message) : message;
    const summary = el("div", { class: "govuk-error-summary", "data-module": "govuk-error-summary" },
      el("div", { role: "alert" },
        el("h2", { class: "govuk-error-summary__title" }, "There is a problem"),
        el("div", { class: "govuk-error-summary__body" },
          el("ul", { class: "govuk-list govuk-error-summary__list" }, el("li", {}, item)))));
    this.summarySlot.append(summary);
    new ErrorSummary(summary);  // focuses the summary; its link focuses the file picker
  }

  // -------------------------------------------------------------- talking to the API

  async send(text, { dryRun, skipInvalid = false }) {
    const url = new URL(`/cases/${encodeURIComponent(this.caseId)}/imports`, window.location.origin);
    url.searchParams.set("dry_run", String(dryRun));
    if (skipInvalid) url.searchParams.set("skip_invalid", "true");
    const response = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.token()}`, "Content-Type": "text/csv; charset=utf-8" },
      body: text,
    });
    const body = await response.json().catch(() => ({}));
    return { status: response.status, ok: response.ok, body };
  }

  problemInWords(status, problem) {
    if (status === 401) return "Your sign-in has expired: sign in again, then check the file again.";
    if (status === 403) return problem.detail || "You may not import into this case.";
    if (status === 413) return "The file is larger than 1 MB: split it into smaller files and import each.";
    const reason = problem.errors?.[0]?.reason;
    if (status === 422 && reason) return `The file cannot be imported: ${reason}`;
    return problem.detail || problem.title || `The import failed (HTTP ${status}); try again.`;
  }

  async readChosenFile() {
    const chosen = this.file.files?.[0];
    if (!chosen) return { error: "Choose your agency's chronology, a CSV file" };
    if (chosen.size > MAX_BYTES) {
      return { error: "The file is larger than 1 MB: split it into smaller files and import each" };
    }
    try {
      // Fatal: a file saved in another encoding is said so, not silently mangled.
      const text = new TextDecoder("utf-8", { fatal: true }).decode(await chosen.arrayBuffer());
      return { name: chosen.name, text };
    } catch {
      return { error: "The file is not UTF-8 text: save it as CSV UTF-8 and choose it again" };
    }
  }

  // -------------------------------------------------------------- check, then import

  async checkFile() {
    if (this.busy) return;
    this.busy = true;
    this.check.disabled = true;
    try {
      this.forget();
      const chosen = await this.readChosenFile();
      if (chosen.error) return this.showError(chosen.error);
      const answer = await this.send(chosen.text, { dryRun: true });
      if (!answer.ok) return this.showError(this.problemInWords(answer.status, answer.body));
      this.checked = { ...chosen, report: answer.body };
      this.showReport();
    } catch {
      this.showError("The server could not be reached: check your connection and try again.", { besideTheFile: false });
    } finally {
      this.busy = false;
      this.check.disabled = false;
    }
  }

  showReport() {
    const { name, report } = this.checked;
    const refused = report.refused.length;
    const parts = [
      el("h3", { class: "govuk-heading-s", id: "import-report-title", tabindex: "-1" }, `What importing ${name} would do`),
      table(`${plural(report.rows, "row", "rows")} in the file`, ["Rows", "How many"], [
        ["To write as new entries", String(report.to_write)],
        ["Already in the case", String(report.already_stored)],
        ["Repeated in the file (written once)", String(report.repeated)],
        ["Refused", String(refused)],
      ], "import-counts"),
    ];
    if (refused) {
      parts.push(table("Refused rows", ["Line", "Why it was refused"],
        report.refused.map((row) => [String(row.line), row.errors.map(reasonInWords).join("; ")]),
        "import-refused"));
    }
    if (report.to_write) {
      const confirm = el("button", { type: "button", class: "govuk-button", "data-module": "govuk-button" },
        `Import ${plural(report.to_write, "entry", "entries")}`);
      confirm.addEventListener("click", () => this.write(confirm));
      if (refused) {
        parts.push(el("div", { class: "govuk-warning-text" },
          el("span", { class: "govuk-warning-text__icon", "aria-hidden": "true" }, "!"),
          el("strong", { class: "govuk-warning-text__text" },
            el("span", { class: "govuk-visually-hidden" }, "Warning"),
            `Importing will skip the refused ${refused === 1 ? "row" : "rows"}. To import `
            + `${refused === 1 ? "it" : "them"} too, correct the file and check it again.`)));
      }
      parts.push(el("div", { class: "govuk-button-group" }, confirm));
    } else {
      parts.push(el("p", { class: "govuk-body" }, refused && !report.already_stored
        ? "Nothing can be imported: every row was refused. Correct the file and check it again."
        : "Nothing new to import: every row is already in the case."));
    }
    this.report.replaceChildren(...parts);
    this.report.querySelector("#import-report-title").focus();
  }

  async write(button) {
    if (this.busy || !this.checked) return;
    this.busy = true;
    button.disabled = true;  // a double click writes once (and the ids are the rows' own anyway)
    const { text, report } = this.checked;
    try {
      const answer = await this.send(text, { dryRun: false, skipInvalid: report.refused.length > 0 });
      if (!answer.ok) {
        if (answer.body?.report) {
          // Refused now though not when checked: the case changed meanwhile. Show it afresh.
          this.checked.report = { ...answer.body.report, dry_run: true };
          this.showReport();
        }
        button.disabled = false;
        const message = answer.body?.report
          ? "Nothing was written: rows are refused now that were not when the file was checked. The report shows them."
          : this.problemInWords(answer.status, answer.body);
        return this.showError(message, { besideTheFile: false });
      }
      this.done(answer.body);
      await this.refresh();
    } catch {
      button.disabled = false;
      this.showError("The server could not be reached: nothing may have been written. Check the file again.", { besideTheFile: false });
    } finally {
      this.busy = false;
    }
  }

  done(result) {
    const details = [];
    if (result.already_stored) details.push(`${plural(result.already_stored, "row was", "rows were")} already in the case`);
    if (result.repeated) details.push(`${plural(result.repeated, "row was", "rows were")} repeated in the file`);
    if (result.refused.length) details.push(`${plural(result.refused.length, "refused row was", "refused rows were")} skipped`);
    const banner = el("div", {
      class: "govuk-notification-banner govuk-notification-banner--success", role: "alert",
      "aria-labelledby": "import-done-title", tabindex: "-1",
    },
    el("div", { class: "govuk-notification-banner__header" },
      el("h2", { class: "govuk-notification-banner__title", id: "import-done-title" }, "Success")),
    el("div", { class: "govuk-notification-banner__content" },
      el("p", { class: "govuk-notification-banner__heading" },
        `${plural(result.written, "entry", "entries")} imported into the chronology`),
      details.length ? el("p", { class: "govuk-body" }, `${details.join("; ")}.`) : null));
    this.close();
    this.status.replaceChildren(banner);
    banner.focus();
  }
}

export function setUpImport({ caseId, me, token, refresh }) {
  const place = document.getElementById("import");
  if (!place) return;
  place.replaceChildren();
  place.importing = null;
  place.hidden = !IMPORTERS.includes(me.role);
  if (place.hidden) return;
  place.importing = new Importing(place, { caseId, me, token, refresh });
}

// Opens the import form (the start of a case not yet in the record offers it).
export function openImport() {
  document.getElementById("import")?.importing?.open();
}
