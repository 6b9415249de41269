// A decision's foresight view in groups, the same on the case page's panel (app.js) and in the
// review workspace (review.js): what its maker knew, what other agencies held, what was
// learned later and, when the API gives it, the entries whose order against the decision
// cannot be told at their precision, each with the group it would join if it came first.

import { el } from "./dom.js";

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
