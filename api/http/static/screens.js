// Where the case page (app.js) hands over to the reviewer's and the auditor's own screens
// (review.js, audit.js): auditors go to the audit screens; reviewers get a way to their reviews
// and a "Start a review" button on a case.

import { el } from "./dom.js";

// True when this page is leaving for another screen (the caller draws nothing more).
export function toRoleScreens(me, caseId) {
  if (me.role === "auditor") {
    window.location.replace("/ui/audit");
    return true;
  }
  if (me.role !== "reviewer") return false;
  const note = document.getElementById("role-note");
  if (note && !document.getElementById("to-reviews")) {
    note.after(el("p", { class: "govuk-body", id: "to-reviews" },
      el("a", { class: "govuk-link", href: "/ui/reviews" }, "Your reviews"),
      ": open one, or start a review of a case."));
  }
  const title = document.getElementById("case-title");
  if (caseId && title && !document.getElementById("start-review")) {
    title.after(el("p", { class: "fs-start-review" },
      el("a", { id: "start-review", class: "govuk-button govuk-button--secondary", role: "button", draggable: "false",
        "data-module": "govuk-button", href: `/ui/reviews?case=${encodeURIComponent(caseId)}` }, "Start a review")));
  }
  return false;
}
