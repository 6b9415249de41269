// Documents of the case (docs/documents.md): those known at the time shown, each with its
// version history; an image or a PDF shown in the page (with a Download link beside it),
// anything else downloaded; and, for those who record, an upload (a file chosen or dropped
// here) of a new document or a new version of one.
// Lives in #documents. Every value is written with textContent, never as HTML.

import { el } from "./dom.js";
import { ukWhen } from "./describe.js";
import { ErrorSummary } from "./vendor/govuk-frontend/govuk-frontend.min.js";

const RECORDERS = ["practitioner", "manager"];
const SHOWN_IN_PAGE = ["image/png", "image/jpeg", "image/gif", "image/webp"];
const PDF = "application/pdf";
const FIELD_INPUTS = { file: "documents-file", name: "documents-name", summary: "documents-summary", document_id: "documents-of" };

// The signed-in user's token, for the timeline's thumbnails (set by setUpDocuments).
let tokenOf = () => "";
// Each image's bytes fetched once per page: sha256 -> a promise of its object URL (or null).
const thumbnailUrls = new Map();

// A small picture of an image document's version for its entry on the timeline, or null for
// any other entry. Its text alternative is empty: the entry's words beside it say what it is.
export function thumbnail(entry) {
  const data = entry.data || {};
  if (entry.type !== "document_version_added" || !SHOWN_IN_PAGE.includes(data.media_type)) return null;
  const picture = el("img", { class: "documents-thumbnail", alt: "", width: "32", height: "32" });
  if (!thumbnailUrls.has(data.sha256)) {
    const path = `/cases/${encodeURIComponent(entry.case_id)}/documents/${encodeURIComponent(data.document_id)}/versions/${data.version_number}`;
    thumbnailUrls.set(data.sha256, fetch(path, { headers: { Authorization: `Bearer ${tokenOf()}` } })
      .then((response) => (response.ok ? response.blob() : null))
      .then((blob) => (blob ? URL.createObjectURL(blob) : null))
      .catch(() => null));
  }
  thumbnailUrls.get(data.sha256).then((url) => {
    if (url) picture.src = url;
    else picture.remove();
  });
  return picture;
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function problemOf(body, status) {
  return Object.assign(new Error(body.detail || body.title || `HTTP ${status}`), { status, errors: body.errors || [] });
}

export function setUpDocuments({ caseId, me, token, refresh }) {
  const place = document.getElementById("documents");
  if (!place) return;
  const base = `/cases/${encodeURIComponent(caseId)}/documents`;
  tokenOf = token;
  const auth = () => ({ Authorization: `Bearer ${token()}` });
  let asKnownAt = null;
  let documents = [];
  let shownUrl = null;
  let opener = null;  // the Show button that opened the viewer: focus goes back to it on Close

  const status = el("p", { class: "govuk-body documents-status", role: "status", "aria-live": "polite" });
  const list = el("div", { class: "documents-list" });
  const viewerHeading = el("h3", { class: "govuk-heading-s", id: "documents-viewer-heading" });
  const shown = el("div", { class: "documents-shown" });
  const caption = el("p", { class: "govuk-body-s" });
  const download = el("a", { class: "govuk-link documents-download" });
  const close = el("button", {
    type: "button", class: "govuk-button govuk-button--secondary govuk-!-margin-bottom-0", onclick: () => closeViewer(),
  });
  const viewer = el("section", { class: "documents-viewer", hidden: true, tabindex: "-1", "aria-labelledby": "documents-viewer-heading" },
    // Download and Close come before the file, so a keyboard or screen reader user reaches them
    // without passing through a long PDF and the browser's own controls inside its frame.
    viewerHeading, el("div", { class: "documents-viewer-actions" }, download, close), shown, caption);
  viewer.addEventListener("keydown", (event) => { if (event.key === "Escape") closeViewer(); });
  place.replaceChildren(el("h2", { class: "govuk-heading-m" }, "Documents"), status);
  if (RECORDERS.includes(me.role)) place.append(uploadForm());
  place.append(list, viewer);
  place.hidden = false;

  async function read() {
    const url = new URL(base, window.location.origin);
    if (asKnownAt) url.searchParams.set("as_known_at", asKnownAt);
    const response = await fetch(url, { headers: auth() });
    const body = await response.json().catch(() => ({}));
    if (response.status === 404) return [];  // a case not in the record yet
    if (!response.ok) throw problemOf(body, response.status);
    return body;
  }

  async function draw() {
    try {
      documents = await read();
    } catch (error) {
      status.textContent = `Documents could not be read: ${error.message}`;
      return;
    }
    status.textContent = documents.length ? "" : "No documents are known at this time.";
    list.replaceChildren(...documents.map(drawDocument));
    const choices = place.querySelector("#documents-of");
    if (choices) {
      choices.replaceChildren(el("option", { value: "" }, "A new document"),
        ...documents.map((doc) => el("option", { value: doc.document_id }, `${doc.name} (a new version)`)));
    }
  }

  function drawDocument(doc) {
    const headingId = `documents-${doc.document_id}`;
    const header = (text) => el("th", { scope: "col", class: "govuk-table__header" }, text);
    const rows = [...doc.versions].reverse().map((version) => el("tr", { class: "govuk-table__row" },
      el("th", { scope: "row", class: "govuk-table__header" },
        `Version ${version.version_number}${version.version_number === doc.latest_version ? " (latest)" : ""}`),
      el("td", { class: "govuk-table__cell" }, version.name),
      el("td", { class: "govuk-table__cell" }, ukWhen(version.recorded_at)),
      el("td", { class: "govuk-table__cell" }, `${version.recorded_by || ""} (${version.agency})`),
      el("td", { class: "govuk-table__cell" }, size(version.size)),
      el("td", { class: "govuk-table__cell" }, el("button", {
        type: "button", class: "govuk-button govuk-button--secondary govuk-!-margin-bottom-0",
        onclick: (event) => open(doc, version, event.currentTarget),
      }, SHOWN_IN_PAGE.includes(version.media_type) || version.media_type === PDF ? "Show" : "Download",
      el("span", { class: "govuk-visually-hidden" }, ` ${version.name}, version ${version.version_number}`)))));
    return el("div", { class: "documents-document" },
      el("h3", { id: headingId, class: "govuk-heading-s" }, doc.name),
      el("div", { class: "documents-table-wrap", tabindex: "0", role: "group", "aria-labelledby": headingId },
        el("table", { class: "govuk-table documents-table" },
          el("caption", { class: "govuk-table__caption govuk-visually-hidden" }, `Versions of ${doc.name}`),
          el("thead", { class: "govuk-table__head" }, el("tr", { class: "govuk-table__row" },
            header("Version"), header("Name"), header("Recorded"), header("By"), header("Size"), header("File"))),
          el("tbody", { class: "govuk-table__body" }, ...rows))));
  }

  async function open(doc, version, button) {
    const url = new URL(`${base}/${encodeURIComponent(doc.document_id)}/versions/${version.version_number}`, window.location.origin);
    if (asKnownAt) url.searchParams.set("as_known_at", asKnownAt);
    status.textContent = `Opening ${version.name} …`;
    const response = await fetch(url, { headers: auth() });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      status.textContent = `${version.name} could not be opened: ${body.detail || body.title || response.status}`;
      return;
    }
    const fetched = await response.blob();
    const isPdf = version.media_type === PDF;
    if (!isPdf && !SHOWN_IN_PAGE.includes(version.media_type)) {
      const objectUrl = URL.createObjectURL(fetched);
      const link = el("a", { href: objectUrl, download: version.name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(objectUrl), 60000);  // once the download has begun
      status.textContent = `${version.name} downloaded.`;
      return;
    }
    // The blob: URL is of this page's origin, so only the types the server checked (an image,
    // or a PDF by its %PDF- start) are shown, the PDF typed as one whatever the response said.
    const blob = isPdf ? new Blob([fetched], { type: PDF }) : fetched;
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = URL.createObjectURL(blob);
    const named = `${version.name}, version ${version.version_number}`;
    viewerHeading.textContent = named;
    shown.replaceChildren(isPdf ? pdfFrame(shownUrl, named) : el("img", {
      class: "documents-picture", src: shownUrl, alt: version.summary ? `${version.name}: ${version.summary}` : version.name,
    }));
    // An image's summary is already its text alternative: said once, not twice.
    const about = isPdf && version.summary ? `: ${version.summary}` : "";
    caption.textContent = `Recorded ${ukWhen(version.recorded_at)}${about}`;
    download.href = shownUrl;
    download.download = version.name;
    download.textContent = `Download ${named}`;
    close.replaceChildren("Close", el("span", { class: "govuk-visually-hidden" }, ` ${named}`));
    opener = button;
    viewer.hidden = false;
    viewer.focus();
    status.textContent = `Showing ${named}.`;
  }

  // A PDF in a frame the browser's own viewer fills; a browser that says it has no PDF viewer
  // (navigator.pdfViewerEnabled, false in Chrome on Android) gets words instead, beside the
  // Download link.
  function pdfFrame(objectUrl, named) {
    if (navigator.pdfViewerEnabled === false) {
      return el("p", { class: "govuk-inset-text documents-no-pdf" },
        `This browser cannot show a PDF in the page. Use the Download link to open ${named}.`);
    }
    return el("iframe", { class: "documents-pdf", src: objectUrl, title: `${named} (PDF)` });
  }

  function closeViewer() {
    if (viewer.hidden) return;
    viewer.hidden = true;
    shown.replaceChildren();
    download.removeAttribute("href");
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = null;
    status.textContent = "";
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  }

  function uploadForm() {
    const file = el("input", { class: "govuk-file-upload", id: "documents-file", name: "file", type: "file", "aria-describedby": "documents-file-hint" });
    const chosen = el("p", { class: "govuk-body-s documents-chosen", "aria-live": "polite" });
    const drop = el("div", { class: "govuk-form-group documents-drop", id: "documents-file-group" },
      el("label", { class: "govuk-label govuk-label--s", for: "documents-file" }, "File"),
      el("div", { class: "govuk-hint", id: "documents-file-hint" },
        "Choose a file, or drop one here: a photograph, a letter or report (PDF, Word, text), or audio or video. Up to 25 MB."),
      file, chosen);
    const field = (id, label, input) => el("div", { class: "govuk-form-group", id: `${id}-group` },
      el("label", { class: "govuk-label govuk-label--s", for: id }, label), input);
    const name = el("input", { class: "govuk-input", id: "documents-name", name: "name", type: "text", autocomplete: "off" });
    const summary = el("textarea", { class: "govuk-textarea", id: "documents-summary", name: "summary", rows: "2" });
    const of = el("select", { class: "govuk-select", id: "documents-of", name: "document_id" }, el("option", { value: "" }, "A new document"));
    const errors = el("div");
    const outcome = el("p", { class: "govuk-body documents-outcome", role: "status", "aria-live": "polite" });
    const form = el("form", { class: "documents-upload", novalidate: true },
      el("h3", { class: "govuk-heading-s" }, "Add a document"), errors, drop,
      field("documents-name", "Name (optional: the file's name if left empty)", name),
      field("documents-summary", "What it is (optional)", summary),
      field("documents-of", "Is it", of),
      el("button", { type: "submit", class: "govuk-button", "data-module": "govuk-button" }, "Upload"), outcome);

    file.addEventListener("change", () => { chosen.textContent = file.files[0] ? `Chosen: ${file.files[0].name}` : ""; });
    drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("documents-drop--over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("documents-drop--over"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("documents-drop--over");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        file.files = event.dataTransfer.files;
        file.dispatchEvent(new Event("change"));
      }
    });

    function showErrors(problems) {
      for (const group of form.querySelectorAll(".govuk-form-group--error")) group.classList.remove("govuk-form-group--error");
      for (const old of form.querySelectorAll(".govuk-error-message")) old.remove();
      if (!problems.length) return errors.replaceChildren();
      const items = problems.map(({ field: fieldName, reason }) => {
        const inputId = FIELD_INPUTS[fieldName] || "documents-file";
        const group = document.getElementById(`${inputId}-group`);
        group.classList.add("govuk-form-group--error");
        group.querySelector("label").after(el("p", { class: "govuk-error-message" },
          el("span", { class: "govuk-visually-hidden" }, "Error: "), reason));
        return el("li", {}, el("a", { href: `#${inputId}` }, reason));
      });
      const summaryBox = el("div", { class: "govuk-error-summary", "data-module": "govuk-error-summary" },
        el("div", { role: "alert" },
          el("h2", { class: "govuk-error-summary__title" }, "There is a problem"),
          el("div", { class: "govuk-error-summary__body" }, el("ul", { class: "govuk-list govuk-error-summary__list" }, ...items))));
      errors.replaceChildren(summaryBox);
      new ErrorSummary(summaryBox);
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!file.files[0]) return showErrors([{ field: "file", reason: "Choose a file to upload" }]);
      const body = new FormData();
      body.append("file", file.files[0]);
      if (name.value.trim()) body.append("name", name.value.trim());
      if (summary.value.trim()) body.append("summary", summary.value.trim());
      if (of.value) body.append("document_id", of.value);
      outcome.textContent = `Uploading ${file.files[0].name} …`;
      const response = await fetch(base, { method: "POST", headers: auth(), body });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        outcome.textContent = "";
        const problems = (answer.errors || []).map((found) => ({ field: found.field, reason: `${answer.detail || answer.title}: ${found.reason}` }));
        return showErrors(problems.length ? problems : [{ field: "file", reason: answer.detail || answer.title || `HTTP ${response.status}` }]);
      }
      showErrors([]);
      form.reset();
      chosen.textContent = "";
      outcome.textContent = `${answer.data.name} uploaded as version ${answer.data.version_number}.`;
      await refresh();  // the new entry is known from now: the case (and this list) drawn again
    });
    return form;
  }

  if (place.onKnownAt) document.removeEventListener("foresight:known-at", place.onKnownAt);
  place.onKnownAt = (event) => {
    if (event.detail.caseId !== caseId) return;
    asKnownAt = event.detail.asKnownAt;
    draw();
  };
  document.addEventListener("foresight:known-at", place.onKnownAt);
  draw();
}
