// The case timeline (vis-timeline, vendored, loaded as a classic script before the modules): one
// lane per agency, the same zoom limits and focus everywhere it is drawn (the case page and the
// review workspace).

import { el } from "./dom.js";

const HOUR = 60 * 60 * 1000;
const FOUR_WEEKS = 4 * 7 * 24 * HOUR;

// An entry in one line: its summary, or what its type says in its own data.
export function headline(entry) {
  if (entry.summary) return entry.summary;
  const data = entry.data || {};
  if (entry.type === "person_added") return `${data.name || data.person_id} (${data.role}) added to the case`;
  if (entry.type === "worker_allocated") return `${data.worker} allocated to the case`;
  if (entry.type === "worker_unallocated") return `${data.worker} no longer allocated to the case`;
  return data.words || data.decision || data.description || entry.type.replaceAll("_", " ");
}

// The classes an entry's item (and table row) carries: significance, type, the child's voice,
// corrected and retracted.
export function itemClass(entry) {
  const classes = [`sig-${entry.significance}`, `type-${entry.type}`];
  if (entry.type === "child_voice_recorded") classes.push("child-voice");
  if (entry.corrected) classes.push("corrected");
  if (entry.retracted) classes.push("retracted");
  return classes.join(" ");
}

// A timeline in `container`. `onSelect(ids)` hears the entries chosen on it; `multiselect` lets
// several be chosen (Ctrl or Shift and click, or a long press); `decorate(entry)` may give a node
// drawn before an entry's words (a document's thumbnail). Gives { timeline, items, groups,
// draw(entries) }; the window shown is kept as data on the container
// (data-window-start, data-window-end) for the browser tests and anyone inspecting it.
export function caseTimeline(container, { onSelect, multiselect = false, decorate = () => null } = {}) {
  const items = new vis.DataSet();
  const groups = new vis.DataSet();
  // Never closer than an hour: entries are recorded to the minute at best, and a window of
  // milliseconds around one entry says nothing. Never wider than a century.
  const timeline = new vis.Timeline(container, items, groups, {
    stack: true, zoomKey: "ctrlKey", orientation: "top", margin: { item: 4 },
    tooltip: { followMouse: false }, xss: { disabled: false }, multiselect,
    zoomMin: HOUR, zoomMax: 100 * 365 * 24 * HOUR,
  });
  if (onSelect) timeline.on("select", ({ items: chosen }) => onSelect(chosen));
  // Focusing on a chosen entry (setSelection's focus calls this) centres it and keeps the
  // width shown, at most four weeks so its neighbours can be read; vis-timeline's own focus
  // would zoom to the width of the entry itself, a point.
  timeline.focus = (ids) => {
    const item = items.get(Array.isArray(ids) ? ids[0] : ids);
    if (!item) return;
    const window = timeline.getWindow();
    const width = Math.min(Math.max(window.end - window.start, HOUR), FOUR_WEEKS);
    const at = new Date(item.start).getTime();
    timeline.setWindow(at - width / 2, at + width / 2, { animation: false });
  };
  timeline.on("rangechanged", ({ start, end }) => {
    container.dataset.windowStart = new Date(start).toISOString();
    container.dataset.windowEnd = new Date(end).toISOString();
  });

  function draw(entries) {
    const agencies = [...new Set(entries.map((e) => e.agency))].sort();
    groups.clear();
    groups.add(agencies.map((agency) => ({ id: agency, content: agency })));
    items.clear();
    items.add(entries.map((entry) => ({
      id: entry.event_id, group: entry.agency, start: entry.occurred_at, className: itemClass(entry),
      content: el("span", {}, decorate(entry),
        entry.type === "child_voice_recorded" ? "“" + (entry.data.words || "") + "”" : headline(entry),
        entry.corrected ? el("span", { class: "mark", title: "corrected" }, " ✎") : null),
    })));
    if (entries.length) timeline.fit({ animation: false });
  }

  return { timeline, items, groups, draw };
}
