// An entry in plain words for the details panel: every recorded field, the entries it names
// as links, and its history of corrections. Values are written as text, never as HTML.

export function describeEntry(entry, { shown, headline, el }) {
  const facts = el("dl", {},
    el("dt", {}, "When"), el("dd", {}, shown(entry.occurred_at)),
    el("dt", {}, "Agency"), el("dd", {}, `${entry.agency}${entry.recorded_by ? " · " + entry.recorded_by : ""}`),
    el("dt", {}, "Known from"), el("dd", {}, shown(entry.known_at)),
    el("dt", {}, "Significance"), el("dd", {}, entry.significance),
    el("dt", {}, "Summary"), el("dd", {}, headline(entry)),
    entry.impact ? el("dt", {}, "Impact") : null, entry.impact ? el("dd", {}, entry.impact) : null,
    entry.action ? el("dt", {}, "Action") : null, entry.action ? el("dd", {}, entry.action) : null);
  const amendments = entry.amendments || [];
  const history = el("ol", { class: "history" });
  for (const amendment of amendments) {
    history.append(el("li", {},
      `${amendment.type.replaceAll("_", " ")} by ${amendment.agency}, known ${shown(amendment.known_at)}`,
      amendment.reason ? ` — ${amendment.reason}` : "",
      amendment.previous ? el("div", { class: "previous" }, `before: ${JSON.stringify(amendment.previous)}`) : null));
  }
  const whole = document.createDocumentFragment();
  whole.append(facts);
  if (amendments.length) whole.append(el("h3", {}, "History"), history);
  return whole;
}
