// A decision's foresight view in groups, the same on the case page's panel (app.js) and in the
// review workspace (review.js): what its maker knew, what other agencies held, what was
// learned later and, when the API gives it, the entries whose order against the decision
// cannot be told at their precision, each with the group it would join if it came first.
// Beside it, the managers' oversight of the decision (which by its nature came after it).

import { el } from "./dom.js";
import { agencyInWords, viewInWords } from "./describe.js";

export const FORESIGHT_GROUPS = [
  ["known_to_decider", "Known to the decider"],
  ["held_elsewhere", "Held elsewhere"],
  ["learned_later", "Learned later"],
  ["order_uncertain", "Order against the decision not known"],
];
const GROUP_WORDS = Object.fromEntries(FORESIGHT_GROUPS.map(([key, title]) => [key, title.toLowerCase()]));

// The view's groups as sections (a region each, named by its title and count). `line(entry)`
// says an entry in one line; `choose(eventId)`, when given, makes each entry a link opening
// it; `ids` gives each section an id (group-held-elsewhere), for a page showing one view.
export function foresightGroups(view, { line, choose = null, ids = false }) {
  // An answer without order_uncertain (an API before it) shows the three groups it has.
  const groups = FORESIGHT_GROUPS.filter(([key]) => key !== "order_uncertain" || Array.isArray(view.order_uncertain));
  return groups.map(([key, title]) => {
    const items = view[key] || [];
    const slug = key.replaceAll("_", "-");
    const list = el("ul", { class: "group-list" });
    for (const item of items) {
      const entry = item.entry;
      const text = line(entry);
      list.append(el("li", {},
        choose ? el("a", { href: `#row-${entry.event_id}`, class: "govuk-link", dataset: { eventId: entry.event_id },
          onclick: (event) => { event.preventDefault(); choose(entry.event_id); } }, text) : text,
        item.changed_later ? el("span", { class: "flag" }, " · changed later") : null,
        item.retracted_later ? el("span", { class: "flag" }, " · retracted later") : null,
        key === "order_uncertain" && item.would_join
          ? el("span", { class: "flag" }, ` · if it came first: ${GROUP_WORDS[item.would_join] || item.would_join}`) : null));
    }
    if (!items.length) list.append(el("li", { class: "none" }, "nothing"));
    const heading = `${title} (${items.length})`;
    return el("section", { class: `group ${slug}`, id: ids ? `group-${slug}` : null, "aria-label": heading },
      el("h3", { class: "govuk-heading-s" }, heading), list);
  });
}

// The managers' oversight of a decision (`oversight_recorded` entries targeting it), each an
// item (data-event-id) with the view in words, reasons, next steps, who and when; `none` says
// there is none yet; `knownAt` adds when the record learned of each. `shown(when)` writes a
// time the UK way.
export function oversightList(items, { shown, none, knownAt = false }) {
  if (!items.length) return el("p", { class: "govuk-body" }, none);
  const row = (key, value) => (value ? el("div", { class: "govuk-summary-list__row" },
    el("dt", { class: "govuk-summary-list__key" }, key), el("dd", { class: "govuk-summary-list__value" }, value)) : null);
  return el("ul", { class: "govuk-list fs-oversight__list" }, ...items.map((item) => el("li", {
    class: "fs-oversight__item", dataset: { eventId: item.event_id },
  }, el("dl", { class: "govuk-summary-list govuk-summary-list--no-border" },
    row("Manager's view", viewInWords(item.data.view)),
    row("Reasons", item.data.reasons),
    row("Next steps", item.data.next_steps),
    row("Recorded by", `${item.recorded_by}, ${agencyInWords(item.agency)}`),
    row("On", shown(item.occurred_at)),
    knownAt ? row("Known to the record", shown(item.known_at)) : null))));
}

// A foresight view's oversight (the API's `oversight`, as known at `hindsight_as_known_at`)
// as a region of its own.
export function foresightOversight(view, { shown }) {
  // shown() says the end of a day as "by the end of 31 March 2024", a moment without "by".
  const then = view.hindsight_as_known_at ? shown(view.hindsight_as_known_at) : "";
  const by = then.startsWith("by ") ? then : `by ${then}`;
  return el("section", { class: "fs-oversight", "aria-label": "Management oversight of this decision" },
    el("h3", { class: "govuk-heading-s" }, "Management oversight of this decision"),
    oversightList(view.oversight || [], {
      shown,
      knownAt: true,
      none: then ? `No manager had recorded oversight of this decision ${by}.`
        : "No manager has recorded oversight of this decision.",
    }));
}
