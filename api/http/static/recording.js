// Recording on the case page: the light forms a practitioner or manager fills in, each under
// its own button, posting one event to the JSON API. The forms live in #recording.
// One form pattern serves every form (RecordingForm): errors beside each field and in a
// summary, nothing typed lost, one event_id per attempt so a double click saves once.
// Every value is written with textContent, never as HTML.

import { el } from "./dom.js";
import { ALLOCATION_TYPES, allocationInWords, currentAllocations } from "./describe.js";
import {
  EMERGENCY_PROTECTION_KIND, EPISODE_END_REASON, EPISODE_START_REASON, LEGAL_STATUS, PLACEMENT_CHANGE_REASON,
  PLACEMENT_PROVIDER, PLACEMENT_TYPE, PREVIOUS_PERMANENCE, REVIEW_PARTICIPATION, SOCIAL_WORKER_CHANGE_REASON,
  codeInWords, codeOptions,
} from "./codes.js";

const RECORDERS = ["practitioner", "manager"];

// The forms of everyday work, whose buttons are always shown; the others are under "More ways
// to record".
const EVERYDAY_FORMS = ["contact", "words", "seen", "decision", "share"];

// ---------------------------------------------------------------- small DOM helpers

function words(slug) {
  const text = String(slug).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function listInWords(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function newEventId() {
  // crypto.randomUUID needs a secure context; a page served over plain HTTP on a LAN is not.
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------- dates the UK way

const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];
const MONTHS = Object.fromEntries(MONTH_NAMES.flatMap((name, index) => [
  [name.toLowerCase(), index + 1], [name.slice(0, 3).toLowerCase(), index + 1],
]).concat([["sept", 9]]));
const WHEN_EXAMPLE = "15/03/2024, 15 March 2024 or 2024-03-15";

function pad(number) {
  return String(number).padStart(2, "0");
}

function londonToday(offsetDays = 0) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", year: "numeric", month: "numeric", day: "numeric",
  }).formatToParts(new Date(Date.now() + offsetDays * 86400000)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day) };
}

function londonNowText() {
  // Now as a person types it in the When field: 05/12/2026 14:30 (London wall time).
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date()).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

// Read what a person typed in When: a UK or ISO date, an optional time. Gives the API's
// occurred_at (a date, or a local date-time the server reads in Europe/London) and the same
// in words, or an error in words.
export function readWhen(typed) {
  let text = String(typed || "").trim().toLowerCase().replace(/,/g, " ").replace(/\s+/g, " ");
  if (!text) return { error: `Enter the date it happened, for example ${WHEN_EXAMPLE}` };
  let time = null;
  const clock = text.match(/(?:^|[\sT])(?:at )?(\d{1,2})[:.](\d{2})(?::\d{2})?\s?(am|pm)?$/i)
    || text.match(/(?:^|\s)(?:at )?(\d{1,2})()\s?(am|pm)$/);
  if (clock) {
    let hour = Number(clock[1]);
    const minute = clock[2] ? Number(clock[2]) : 0;
    const half = clock[3];
    if (half && (hour < 1 || hour > 12)) return { error: "Enter a real time, like 10:15 or 2:30pm" };
    if (half === "pm" && hour < 12) hour += 12;
    if (half === "am" && hour === 12) hour = 0;
    if (hour > 23 || minute > 59) return { error: "Enter a real time, like 10:15 or 14:30" };
    time = { hour, minute };
    text = text.slice(0, clock.index).trim().replace(/ at$/, "");
  }
  let day;
  let month;
  let year;
  let found;
  if (text === "today" || text === "yesterday") {
    ({ day, month, year } = londonToday(text === "today" ? 0 : -1));
  } else if ((found = text.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/))) {
    [year, month, day] = [Number(found[1]), Number(found[2]), Number(found[3])];
  } else if ((found = text.match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d+)$/))) {
    [day, month, year] = [Number(found[1]), Number(found[2]), Number(found[3])];
    if (found[3].length !== 4) return { error: "Write the year in full, for example 15/03/2024" };
  } else if ((found = text.match(/^(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.? (\d+)$/))) {
    month = MONTHS[found[2]];
    if (!month) return { error: `“${found[2]}” is not a month: write it as March or Mar` };
    [day, year] = [Number(found[1]), Number(found[3])];
    if (found[3].length !== 4) return { error: "Write the year in full, for example 15 March 2024" };
  } else if (!text) {
    return { error: `Enter the date as well as the time, for example ${WHEN_EXAMPLE}` };
  } else {
    return { error: `Enter the date as ${WHEN_EXAMPLE}, with a time like 10:15 if you know it` };
  }
  const check = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
    return { error: "Enter a real date: that day does not exist" };
  }
  if (year < 1900 || year > 2999) return { error: "Enter a year between 1900 and 2999" };
  const date = `${year}-${pad(month)}-${pad(day)}`;
  const inWords = `${day} ${MONTH_NAMES[month - 1]} ${year}`;
  if (!time) return { value: date, words: inWords };
  const clockText = `${pad(time.hour)}:${pad(time.minute)}`;
  return { value: `${date}T${clockText}`, words: `${inWords} at ${clockText}` };
}

// ---------------------------------------------------------------- the fields

const AGENCIES = [
  ["police", "Police"], ["health", "Health"], ["school", "School"],
  ["social_care", "Children's social care"], ["early_help", "Early help"],
  ["education", "Education"], ["probation", "Probation"], ["housing", "Housing"],
  ["youth_justice", "Youth justice"], ["adult_social_care", "Adult social care"],
  ["ambulance", "Ambulance service"], ["voluntary_sector", "Voluntary sector"],
];

function agencyName(value) {
  return (AGENCIES.find(([slug]) => slug === value) || [value, words(value)])[1];
}

// Each field kind builds its form-group and answers: read(), focusTarget(), showError(),
// clearError(). `api` names the API's fields (dotted paths) whose errors belong here.
class Field {
  constructor(spec, formKey) {
    this.spec = spec;
    this.id = `rec-${formKey}-${spec.name}`;
    this.errorId = `${this.id}-error`;
    this.hintId = `${this.id}-hint`;
    this.group = el("div", { class: "govuk-form-group", id: `${this.id}-group` });
    this.errorNode = null;
    this.describedBy = [];
  }

  hint() {
    if (!this.spec.hint) return null;
    this.describedBy.push(this.hintId);
    const hint = el("div", { class: "govuk-hint", id: this.hintId });
    hint.append(...[].concat(this.spec.hint).map((part) => (typeof part === "function" ? part() : part)));
    return hint;
  }

  label() {
    return this.spec.required ? this.spec.label : `${this.spec.label} (optional)`;
  }

  // The element whose aria-describedby names the hint and error (an input, or a fieldset).
  describedElement() {
    return this.input;
  }

  errorAnchor() {
    // The error message goes after the label and hint, before the input (GOV.UK order).
    return this.input;
  }

  showError(message) {
    this.clearError();
    this.errorNode = el("p", { class: "govuk-error-message", id: this.errorId },
      el("span", { class: "govuk-visually-hidden" }, "Error: "), message);
    const anchor = this.errorAnchor();
    anchor.parentNode.insertBefore(this.errorNode, anchor);
    this.group.classList.add("govuk-form-group--error");
    this.input?.classList?.add(this.errorClass || "govuk-input--error");
    this.describedElement().setAttribute("aria-describedby", [...this.describedBy, this.errorId].join(" "));
  }

  clearError() {
    if (this.errorNode) this.errorNode.remove();
    this.errorNode = null;
    this.group.classList.remove("govuk-form-group--error");
    this.input?.classList?.remove(this.errorClass || "govuk-input--error");
    const target = this.describedElement();
    if (this.describedBy.length) target.setAttribute("aria-describedby", this.describedBy.join(" "));
    else target.removeAttribute("aria-describedby");
  }

  focusTarget() {
    return this.input;
  }

  check(value) {
    const empty = value === "" || value === null || value === undefined
      || (Array.isArray(value) && value.length === 0);
    if (this.spec.required && empty) return this.spec.missing || `Enter ${this.spec.label.toLowerCase()}`;
    // A format the API would refuse is said before sending, beside the field.
    if (!empty && this.spec.pattern && !this.spec.pattern.test(String(value))) return this.spec.invalid;
    return null;
  }
}

class TextField extends Field {
  constructor(spec, formKey) {
    super(spec, formKey);
    const multiline = spec.kind === "textarea";
    this.errorClass = multiline ? "govuk-textarea--error" : "govuk-input--error";
    this.input = multiline
      ? el("textarea", { class: "govuk-textarea", id: this.id, name: spec.name, rows: spec.rows || 3, spellcheck: "true" })
      : el("input", { class: "govuk-input", id: this.id, name: spec.name, type: "text", autocomplete: "off" });
    if (spec.value) this.input.value = spec.value();
    const hint = this.hint();
    if (this.describedBy.length) this.input.setAttribute("aria-describedby", this.describedBy.join(" "));
    // append() would write a missing hint as the text "null": leave it out.
    this.group.append(...[el("label", { class: "govuk-label govuk-label--s", for: this.id }, this.label()), hint, this.input]
      .filter(Boolean));
  }

  read() {
    return this.input.value.trim();
  }

  reset() {
    this.input.value = this.spec.value ? this.spec.value() : "";
  }
}

class WhenField extends Field {
  constructor(spec, formKey) {
    super(spec, formKey);
    this.spec = { hint: `For example, ${WHEN_EXAMPLE}. Add a time if you know it, like 10:15.`, ...spec };
    this.input = el("input", {
      class: "govuk-input govuk-input--width-20", id: this.id, name: spec.name, type: "text",
      autocomplete: "off", spellcheck: "false",
    });
    if (spec.value) this.input.value = spec.value();
    const hint = this.hint();
    this.readback = el("p", { class: "recording-readback", id: `${this.id}-readback`, "aria-live": "polite" });
    this.describedBy.push(this.readback.id);
    this.input.setAttribute("aria-describedby", this.describedBy.join(" "));
    this.input.addEventListener("input", () => this.readBack());
    this.unsure = el("input", { class: "govuk-checkboxes__input", id: `${this.id}-unsure`, name: `${spec.name}-unsure`, type: "checkbox" });
    this.group.append(
      el("label", { class: "govuk-label govuk-label--s", for: this.id }, this.label()), hint, this.input, this.readback,
      // A date due is set, not remembered: it has no "not sure".
      spec.due ? null : el("div", { class: "govuk-checkboxes govuk-checkboxes--small recording-unsure" },
        el("div", { class: "govuk-checkboxes__item" }, this.unsure,
          el("label", { class: "govuk-label govuk-checkboxes__label", for: this.unsure.id }, "Not sure of the date"))));
    this.readBack();
  }

  readBack() {
    const reading = readWhen(this.input.value);
    this.readback.textContent = this.input.value.trim() && reading.value ? `Read as ${reading.words}` : "";
  }

  read() {
    return { typed: this.input.value.trim(), uncertain: this.unsure.checked, ...readWhen(this.input.value) };
  }

  check(value) {
    if (!value.typed && this.spec.required === false) return null;
    return value.error || null;
  }

  reset() {
    this.input.value = this.spec.value ? this.spec.value() : "";
    this.unsure.checked = false;
    this.readBack();
  }
}

// Radios, checkboxes and the list of people: a fieldset of options.
class ChoiceField extends Field {
  constructor(spec, formKey, options) {
    super(spec, formKey);
    this.multiple = spec.kind !== "radios";
    this.fieldset = el("fieldset", { class: "govuk-fieldset" },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, this.label()));
    const hint = this.hint();
    if (hint) this.fieldset.append(hint);
    this.options = el("div", {
      class: this.multiple ? "govuk-checkboxes govuk-checkboxes--small" : "govuk-radios govuk-radios--small",
    });
    this.inputs = [];
    this.defaults = [];
    this.setOptions(options);
    this.fieldset.append(this.options);
    if (this.describedBy.length) this.fieldset.setAttribute("aria-describedby", this.describedBy.join(" "));
    this.group.append(this.fieldset);
  }

  // `keep`: the values to leave ticked when the options are drawn again (people added since).
  setOptions(options, keep = null) {
    const kind = this.multiple ? "checkboxes" : "radios";
    this.options.replaceChildren();
    this.inputs = options.map(([value, text, optionHint, checked], index) => {
      const id = index === 0 ? this.id : `${this.id}-${index}`;
      const input = el("input", {
        class: `govuk-${kind}__input`, id, name: this.spec.name, value,
        type: this.multiple ? "checkbox" : "radio", checked: keep ? keep.has(value) : Boolean(checked),
        "aria-describedby": optionHint ? `${id}-hint` : null,
      });
      this.options.append(el("div", { class: `govuk-${kind}__item` }, input,
        el("label", { class: `govuk-label govuk-${kind}__label`, for: id }, text),
        optionHint ? el("div", { class: `govuk-hint govuk-${kind}__hint`, id: `${id}-hint` }, optionHint) : null));
      return input;
    });
    this.defaults = options.map((option) => Boolean(option[3]));
    this.optionValues = options.map((option) => option[0]).join(" ");
  }

  describedElement() {
    return this.fieldset;
  }

  errorAnchor() {
    return this.options;
  }

  focusTarget() {
    return this.inputs.find((input) => input.checked) || this.inputs[0] || this.fieldset;
  }

  read() {
    const chosen = this.inputs.filter((input) => input.checked).map((input) => input.value);
    return this.multiple ? chosen : chosen[0] || "";
  }

  reset() {
    this.inputs.forEach((input, index) => { input.checked = this.defaults[index]; });
  }
}

class SelectField extends Field {
  constructor(spec, formKey, options) {
    super(spec, formKey);
    this.errorClass = "govuk-select--error";
    this.input = el("select", { class: "govuk-select", id: this.id, name: spec.name });
    this.setOptions(options);
    const hint = this.hint();
    if (this.describedBy.length) this.input.setAttribute("aria-describedby", this.describedBy.join(" "));
    // append() would write a missing hint as the text "null": leave it out.
    this.group.append(...[el("label", { class: "govuk-label govuk-label--s", for: this.id }, this.label()), hint, this.input]
      .filter(Boolean));
  }

  // Drawn again keeping what was chosen, while it is still offered.
  setOptions(options) {
    const chosen = this.input.value;
    this.input.replaceChildren(el("option", { value: "" }, this.spec.required ? "Choose" : "Not said"));
    for (const [value, text] of options) this.input.append(el("option", { value }, text));
    if (options.some(([value]) => value === chosen)) this.input.value = chosen;
  }

  read() {
    return this.input.value;
  }

  reset() {
    this.input.value = this.spec.initial || "";
  }
}

// Entries picked by choosing them on the timeline or in the table while the form is open.
class PickedField extends Field {
  constructor(spec, formKey, describe) {
    super(spec, formKey);
    this.describe = describe;
    this.picked = [];
    this.tableLink = el("a", { class: "govuk-link", href: "#entries" }, "the chronology table");
    this.spec = {
      ...spec,
      hint: ["Choose entries on the timeline or in ", () => this.tableLink,
        "; each one you choose is listed here."],
    };
    this.fieldset = el("fieldset", { class: "govuk-fieldset" },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s" }, this.label()));
    this.fieldset.append(this.hint());
    this.list = el("ul", { class: "govuk-list recording-picked", "aria-live": "polite" });
    this.fieldset.append(this.list);
    this.fieldset.setAttribute("aria-describedby", this.describedBy.join(" "));
    this.group.append(this.fieldset);
    this.draw();
  }

  add(entry) {
    if (this.picked.some((e) => e.event_id === entry.event_id)) return;
    // A form about one entry (a mark, a correction) takes the latest one chosen.
    if (this.spec.single) this.picked = [entry];
    else this.picked.push(entry);
    this.draw();
  }

  draw() {
    this.list.replaceChildren();
    if (!this.picked.length) this.list.append(el("li", { class: "recording-picked__none" }, "None chosen yet."));
    for (const entry of this.picked) {
      const text = this.describe(entry);
      // Said beside the pick, before sending: why this entry cannot be used here.
      const notice = this.spec.notice?.(entry);
      this.list.append(el("li", { class: "recording-picked__item", "data-event-id": entry.event_id },
        el("span", {}, text),
        notice ? el("p", { class: "recording-picked__notice" }, el("strong", {}, "Note: "), notice) : null,
        el("button", {
          type: "button", class: "govuk-button govuk-button--secondary recording-picked__remove",
          "aria-label": `Remove ${text}`,
          onclick: () => {
            this.picked = this.picked.filter((e) => e.event_id !== entry.event_id);
            this.draw();
            this.tableLink.focus();
          },
        }, "Remove")));
    }
  }

  describedElement() {
    return this.fieldset;
  }

  errorAnchor() {
    return this.list;
  }

  focusTarget() {
    return this.tableLink;
  }

  read() {
    return [...this.picked];
  }

  reset() {
    this.picked = [];
    this.draw();
  }
}

// ---------------------------------------------------------------- one form, every form

const STATUS_WORDS = {
  401: "Your sign-in has expired: sign in again, then save. What you typed is still here.",
  403: "You may not record this for your agency.",
  413: "This is too long to save in one go.",
};

// An API error's field, a dotted path (subjects.0, data.words, 0.summary in a batch), without
// its indexes: the form field it belongs to.
function fieldKey(path) {
  return String(path || "").split(".").filter((part) => !/^\d+$/.test(part)).join(".");
}

function plainReason(reason, field) {
  const text = String(reason || "");
  if (/at least 1 (character|item)/i.test(text) && field) return field.spec.missing || `Enter ${field.spec.label.toLowerCase()}`;
  if (/more than 24 hours in the future/.test(text)) return "The date cannot be in the future: enter when it happened";
  const owner = text.match(/is an entry of ([a-z_]+)/);
  if (owner) return `This entry was recorded by ${agencyName(owner[1])}: only ${agencyName(owner[1])} can correct or retract it`;
  if (/has not been added to case/.test(text)) return "Someone chosen is not part of this case as recorded";
  if (/should match pattern/.test(text) && field?.spec.invalid) return field.spec.invalid;
  if (/should match pattern/.test(text)) return `${field ? field.spec.label : "This"} can hold only lower-case letters, digits, dots, hyphens and underscores`;
  if (/at most \d+ characters/.test(text)) return `${field ? field.spec.label : "This"} is too long: ${text.replace(/^String should have /, "it may have ")}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

class RecordingForm {
  constructor(spec, context) {
    this.spec = spec;
    this.context = context;
    this.attemptId = null; // one event_id per attempt: reused on a resend, new after a success
    this.sending = false;
    this.fields = spec.fields.map((fieldSpec) => this.makeField(fieldSpec));
    const headingId = `rec-${spec.key}-title`;
    this.summarySlot = el("div");
    this.save = el("button", { type: "submit", class: "govuk-button", "data-module": "govuk-button" }, "Save");
    this.cancel = el("button", { type: "button", class: "govuk-button govuk-button--secondary", onclick: () => context.close() }, "Cancel");
    const required = this.fields.filter((field) => !field.spec.more).map((field) => field.group);
    const more = this.fields.filter((field) => field.spec.more).map((field) => field.group);
    this.form = el("form", {
      class: "recording-form", id: `rec-${spec.key}`, "aria-labelledby": headingId, novalidate: true,
      onsubmit: (event) => { event.preventDefault(); this.submit(); },
      onkeydown: (event) => { if (event.key === "Escape") { event.preventDefault(); context.close(); } },
    },
    el("h2", { class: "govuk-heading-m", id: headingId }, spec.title),
    this.summarySlot,
    ...required,
    more.length ? el("details", { class: "govuk-details recording-more" },
      el("summary", { class: "govuk-details__summary" }, el("span", { class: "govuk-details__summary-text" }, "More")),
      el("div", { class: "govuk-details__text" }, ...more)) : null,
    el("div", { class: "govuk-button-group" }, this.save, this.cancel));
    for (const field of this.fields) if (field.spec.shownWhen) field.group.classList.add("recording-revealed");
    this.form.addEventListener("change", () => this.reveal());
    this.reveal();
  }

  makeField(fieldSpec) {
    const key = this.spec.key;
    switch (fieldSpec.kind) {
      case "when": return new WhenField(fieldSpec, key);
      case "text": case "textarea": return new TextField(fieldSpec, key);
      case "select": {
        const options = fieldSpec.options;
        const field = new SelectField(fieldSpec, key, typeof options === "function" ? options(this.context) : options);
        // Plans and assessments still open change as the case goes on: asked again on opening.
        if (fieldSpec.fromCase) field.refresh = () => field.setOptions(options(this.context));
        return field;
      }
      case "picked": {
        const notice = fieldSpec.notice && ((entry) => fieldSpec.notice(entry, this.context));
        return new PickedField({ ...fieldSpec, notice }, key, this.context.describeEntry);
      }
      case "people": {
        const options = this.context.peopleOptions(fieldSpec.children);
        const spec = options.length ? fieldSpec : {
          ...fieldSpec, required: false,
          hint: "Your agency has no people recorded in this case yet, so this will be about no one in particular.",
        };
        const field = new ChoiceField({ ...spec, kind: "checkboxes" }, key, options);
        field.refresh = () => {
          const fresh = this.context.peopleOptions(fieldSpec.children);
          if (fresh.map((option) => option[0]).join(" ") !== field.optionValues) field.setOptions(fresh, new Set(field.read()));
        };
        return field;
      }
      case "child": {
        // One child of the case, chosen by radios; preselected when the case has one child.
        const field = new ChoiceField({ ...fieldSpec, kind: "radios" }, key, this.context.peopleOptions(true));
        field.refresh = () => {
          const fresh = this.context.peopleOptions(true);
          if (fresh.map((option) => option[0]).join(" ") !== field.optionValues) field.setOptions(fresh, new Set([field.read()]));
        };
        return field;
      }
      default: return new ChoiceField(fieldSpec, key, fieldSpec.options);
    }
  }

  // Fields that matter only after a choice (`shownWhen`) are shown once it is made, as the
  // GOV.UK conditional reveal does; hidden, they are neither checked nor sent.
  reveal() {
    const revealed = this.fields.filter((field) => field.spec.shownWhen);
    if (!revealed.length) return;
    const values = this.values();
    for (const field of revealed) field.group.hidden = !field.spec.shownWhen(values);
  }

  field(name) {
    return this.fields.find((field) => field.spec.name === name);
  }

  picker() {
    return this.fields.find((field) => field instanceof PickedField) || null;
  }

  // An entry chosen on the timeline or table: picked, and (a correction) its fields prefilled.
  choose(entry) {
    const picker = this.picker();
    if (!picker) return;
    picker.add(entry);
    this.spec.onPick?.(entry, this);
  }

  refreshPeople() {
    this.fields.forEach((field) => field.refresh?.());
  }

  focusFirst() {
    this.fields[0].focusTarget().focus();
  }

  values() {
    return Object.fromEntries(this.fields.map((field) => [field.spec.name, field.read()]));
  }

  async submit() {
    if (this.sending) return;
    const values = this.values();
    const problems = [];
    for (const field of this.fields) {
      if (field.group.hidden) continue;
      const message = field.check(values[field.spec.name]);
      if (message) problems.push({ field, message });
    }
    for (const extra of this.spec.check?.(values, this) || []) problems.push(extra);
    if (problems.length) return this.showErrors(problems);
    this.attemptId = this.attemptId || newEventId();
    const envelope = { event_id: this.attemptId, ...this.spec.toEvent(values, this.context, this) };
    this.sending = true;
    this.save.disabled = true;
    this.save.setAttribute("aria-disabled", "true");
    this.save.textContent = "Saving…";
    try {
      const outcome = await this.context.post(envelope);
      if (outcome.ok) {
        this.attemptId = null;
        this.clearErrors();
        this.fields.forEach((field) => field.reset());
        this.reveal();
        await this.context.saved(this, this.spec.done(values, this.context, outcome.event), outcome.event);
        return;
      }
      this.showErrors(this.problemsFrom(outcome));
    } finally {
      this.sending = false;
      this.save.disabled = false;
      this.save.removeAttribute("aria-disabled");
      this.save.textContent = "Save";
    }
  }

  problemsFrom(outcome) {
    if (outcome.networkError) {
      return [{ message: "Foresight could not be reached, so this may not have been saved. Save again: it will not be recorded twice." }];
    }
    const problem = outcome.problem || {};
    if (outcome.status === 409 && /event id/i.test(problem.title || "")) {
      // An earlier try of this form was stored with other content: the next save is a new entry.
      this.attemptId = null;
      return [{ message: "An earlier try of this form was already saved. Check the chronology before saving again." }];
    }
    const problems = [];
    for (const error of problem.errors || []) {
      const key = fieldKey(error.field);
      const field = this.fields.find((candidate) => (candidate.spec.api || []).some(
        (path) => key === path || key.startsWith(`${path}.`)));
      problems.push({ field, message: plainReason(error.reason, field) });
    }
    if (!problems.length) {
      problems.push({ message: STATUS_WORDS[outcome.status] || problem.detail || problem.title || `The record refused this (HTTP ${outcome.status}).` });
    }
    return problems;
  }

  clearErrors() {
    this.fields.forEach((field) => field.clearError());
    this.summarySlot.replaceChildren();
  }

  showErrors(problems) {
    this.clearErrors();
    const shown = new Set();
    const list = el("ul", { class: "govuk-list govuk-error-summary__list" });
    // In the order of the form; what no field shows comes last.
    const place = (problem) => (problem.field ? this.fields.indexOf(problem.field) : this.fields.length);
    const ordered = [...problems].sort((a, b) => place(a) - place(b));
    for (const { field, message } of ordered) {
      if (field && !shown.has(field)) {
        shown.add(field);
        field.showError(message);
        if (field.spec.more) field.group.closest("details").open = true;
      }
      const target = field ? field.focusTarget() : null;
      list.append(el("li", {}, target
        ? el("a", { href: `#${target.id}`, onclick: (event) => { event.preventDefault(); target.focus(); target.scrollIntoView({ block: "center" }); } }, message)
        : message));
    }
    const summary = el("div", { class: "govuk-error-summary", "data-module": "govuk-error-summary", tabindex: "-1" },
      el("div", { role: "alert" },
        el("h2", { class: "govuk-error-summary__title" }, "There is a problem"),
        el("div", { class: "govuk-error-summary__body" }, list)));
    this.summarySlot.append(summary);
    summary.focus();
  }
}

// ---------------------------------------------------------------- the forms

const SIGNIFICANCE = [["routine", "Routine"], ["significant", "Significant"], ["key", "Key"]];

function common(values) {
  // The envelope's shared fields; empty ones are left out.
  const event = { occurred_at: values.when.value, subjects: values.about || [] };
  if (values.when.uncertain) event.date_uncertain = true;
  for (const name of ["summary", "impact", "action"]) if (values[name]) event[name] = values[name];
  if (values.significance) event.significance = values.significance;
  return event;
}

function when(extra = {}) {
  return { name: "when", kind: "when", label: "When", required: true, api: ["occurred_at", "date_uncertain"], ...extra };
}

function about(extra = {}) {
  return { name: "about", kind: "people", label: "About", api: ["subjects"], ...extra };
}

function compact(data) {
  return Object.fromEntries(Object.entries(data).filter(([, value]) =>
    value !== "" && value !== null && value !== undefined && !(Array.isArray(value) && !value.length)));
}

function aboutWords(values, context) {
  const names = (values.about || []).map((id) => context.personName(id));
  return names.length ? `, about ${listInWords(names)}` : "";
}

// The CIN census reasons for closing a case, in words, the code kept for those who know it.
const CLOSURE_REASONS = [
  ["RC1", "Adopted"], ["RC2", "Died"], ["RC3", "Child arrangements order"],
  ["RC4", "Special guardianship order"], ["RC5", "Transferred to services of another local authority"],
  ["RC6", "Transferred to adult social care services"],
  ["RC7", "Services ceased for any other reason, including child no longer in need"],
  ["RC8", "Case closed after assessment, no further action"],
  ["RC9", "Case closed after assessment, referred to early help"],
].map(([code, text]) => [code, `${text} (${code})`]);

// The entries that open and close the case: the last one recorded says its state.
const CASE_STATE_TYPES = ["case_closed", "case_reopened"];

// After these are saved, their target is shown again in the panel, as it now stands.
const SHOWN_AGAIN = ["entry_corrected", "marked_significant"];

// Entries only a manager may amend (the API's rule, said before sending).
const MANAGERS_ENTRIES = ["oversight_recorded", "worker_allocated", "worker_unallocated"];

function nowValue() {
  return readWhen(londonNowText()).value;
}

// An event about another entry (a mark, a correction, a retraction): recorded now, about the
// entry's people.
function amending(entry, type, data) {
  return { type, occurred_at: nowValue(), subjects: entry.subjects || [], data: { target_event_id: entry.event_id, ...data } };
}

// Why the signed-in person may not correct or retract this entry, in words, or null.
function notOurs(entry, context) {
  if (entry.agency !== context.me.agency) {
    return `This entry was recorded by ${agencyName(entry.agency)}: only ${agencyName(entry.agency)} can correct or retract it.`;
  }
  if (MANAGERS_ENTRIES.includes(entry.type) && context.me.role !== "manager") {
    return "Only a manager can correct or retract an allocation or oversight.";
  }
  return null;
}

function ownEntry(values, form) {
  const message = values.entry.length ? notOurs(values.entry[0], form.context) : null;
  return message ? [{ field: form.field("entry"), message }] : [];
}

// An entry's occurred_at as a person types it: 15/03/2024, or 15/03/2024 10:15 (London time).
function typedWhen(value) {
  if (!value) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value.split("-").reverse().join("/");
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(value)).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

// The correction's fields, filled in from the entry chosen; what they held is kept to send
// only what changed.
function prefillCorrection(entry, form) {
  const before = {
    when: typedWhen(entry.occurred_at), uncertain: Boolean(entry.date_uncertain), summary: entry.summary || "",
    significance: entry.significance || "", about: [...(entry.subjects || [])].sort(),
  };
  form.before = before;
  const when = form.field("when");
  when.input.value = before.when;
  when.unsure.checked = before.uncertain;
  when.readBack();
  form.field("summary").input.value = before.summary;
  form.field("significance").input.value = before.significance;
  const about = form.field("about");
  about.inputs.forEach((input) => { input.checked = before.about.includes(input.value); });
}

function changesOf(values, form) {
  const before = form.before;
  if (!before) return {};
  const changes = {};
  if (values.when.typed && values.when.value !== readWhen(before.when).value) changes.occurred_at = values.when.value;
  if (values.when.uncertain !== before.uncertain) changes.date_uncertain = values.when.uncertain;
  if (values.summary && values.summary !== before.summary) changes.summary = values.summary;
  if (values.significance && values.significance !== before.significance) changes.significance = values.significance;
  const about = [...values.about].sort();
  if (about.join(" ") !== before.about.join(" ")) changes.subjects = about;
  return changes;
}

// Plans and assessments: the ones started and not yet ended are offered to review, end or
// complete; an id for a new one is made for the person recording it.
const PLAN_TYPES = ["plan_started", "plan_reviewed", "plan_ended"];
const ASSESSMENT_TYPES = ["assessment_started", "assessment_completed"];
const PLAN_KINDS = [["early_help", "Early help plan"], ["child_in_need", "Child in need plan"],
  ["child_protection", "Child protection plan"], ["looked_after", "Looked after (care) plan"]];
const ASSESSMENT_KINDS = [["single", "Single assessment"], ["section_47", "Section 47 enquiries"],
  ["early_help", "Early help assessment"], ["other", "Other assessment"]];
const ABUSE_CATEGORIES = [["NEG", "Neglect"], ["PHY", "Physical abuse"], ["SAB", "Sexual abuse"],
  ["EMO", "Emotional abuse"], ["MUL", "Multiple categories"]];

function kindWords(kinds, kind) {
  return (kinds.find(([value]) => value === kind) || [kind, words(kind || "plan")])[1];
}

// [[id, words]] of the plans (or assessments, or placements) started and not ended (or
// completed); `inWords(start)` says what a start was.
function stillOpen(entries, types, idKey, inWords = planInWords(idKey)) {
  const open = new Map();
  for (const entry of entries) {
    const id = entry.data?.[idKey];
    if (!id) continue;
    if (entry.type === types[0]) {
      open.set(id, `${inWords(entry)}, started ${readableDate(entry.occurred_at)} (${id})`);
    } else if (entry.type === types[types.length - 1]) {
      open.delete(id);
    }
  }
  return [...open];
}

function planInWords(idKey) {
  const kinds = idKey === "plan_id" ? PLAN_KINDS : ASSESSMENT_KINDS;
  return (entry) => kindWords(kinds, entry.data.kind);
}

// A new plan's or assessment's id: its kind and day, and a few characters of this attempt's
// event id so that two started the same day differ and a resend keeps the same id.
function madeId(kind, values, form) {
  return `${String(kind || "other").replaceAll("_", "-")}-${values.when.value.slice(0, 10)}-${form.attemptId.slice(0, 4)}`;
}

// The SSDA903's formats, checked before sending as the vocabulary checks them.
const REGISTRATION_NUMBER = /^SW\s*[0-9]{1,10}$/i;
const PERMANENCE_AUTHORITY = /^([0-9]{3}|WAL|SCO|NIR|NUK)$/i;

// A previous permanence order (P1 to P4) has a date and an authority; none (Z1) has neither.
function hadPermanence(values) {
  return Boolean(values.permanence) && values.permanence !== "Z1";
}

function due(name, label, api) {
  return { name, kind: "when", label, required: false, due: true, api: [api],
    hint: `For example, ${WHEN_EXAMPLE}.` };
}

function lines(text) {
  return String(text || "").split("\n").map((line) => line.trim()).filter(Boolean);
}

// Placements: the ones started and not yet ended are offered to end, each with its child.
const PLACEMENT_TYPES = ["placement_started", "placement_ended"];

// [{ id, words, personId }] of the placements started and not ended.
function currentPlacements(entries, personName) {
  const starts = new Map(entries.filter((e) => e.type === "placement_started").map((e) => [e.data.placement_id, e]));
  const inWords = (entry) => {
    const kind = entry.data.kind ? codeInWords(PLACEMENT_TYPE)(entry.data.kind) : "Placement";
    return entry.data.person_id ? `${kind} for ${personName(entry.data.person_id)}` : kind;
  };
  return stillOpen(entries, PLACEMENT_TYPES, "placement_id", inWords)
    .map(([id, text]) => ({ id, words: text, personId: starts.get(id)?.data.person_id || null }));
}

// A child chosen for an entry about one child: its data's person_id and the entry's subject.
function child(extra = {}) {
  return { name: "child", kind: "child", label: "Child", required: true, api: ["data.person_id", "subjects"],
    missing: "Select the child", ...extra };
}

function childWords(values, context) {
  return values.child ? ` for ${context.personName(values.child)}` : "";
}

const YES_NO = [["yes", "Yes"], ["no", "No"]];

function yesNo(value) {
  return value === "" ? undefined : value === "yes";
}

const FORMS = [
  {
    key: "contact",
    opener: "Record a contact",
    title: "Record a contact",
    fields: [
      { name: "kind", kind: "radios", label: "What happened", required: true, api: ["data.contact_kind"],
        missing: "Select what happened: a referral, a concern, a notification or a request for help",
        options: [["referral", "Referral"], ["concern", "Concern"], ["notification", "Notification"], ["request_for_help", "Request for help"]] },
      when(),
      about({ required: true, missing: "Select who the contact is about", hint: "Tick everyone it is about." }),
      { name: "summary", kind: "textarea", label: "Summary", required: true, api: ["summary"], rows: 4,
        hint: "What happened, as facts: who said or did what.", missing: "Enter a summary of what happened" },
      { name: "impact", kind: "textarea", label: "Impact on the child", more: true, api: ["impact"] },
      { name: "action", kind: "textarea", label: "Action taken, or why none", more: true, api: ["action"] },
      { name: "significance", kind: "select", label: "Significance of this entry", more: true, api: ["significance"], options: SIGNIFICANCE },
      { name: "source", kind: "select", label: "Source agency", more: true, api: ["data.source_agency"], options: AGENCIES,
        hint: "The agency the contact came from." },
      { name: "concerns", kind: "checkboxes", label: "Concern categories", more: true, api: ["data.concern_categories"],
        options: [["neglect", "Neglect"], ["physical", "Physical abuse"], ["emotional", "Emotional abuse"], ["sexual", "Sexual abuse"],
          ["domestic_abuse", "Domestic abuse"], ["exploitation", "Exploitation"], ["other", "Other"]] },
      { name: "outcome", kind: "select", label: "Outcome", more: true, api: ["data.outcome"],
        options: [["no_further_action", "No further action"], ["early_help", "Early help"], ["assessment", "Assessment"],
          ["strategy_discussion", "Strategy discussion"], ["signposted", "Signposted"]] },
    ],
    toEvent: (values) => ({
      type: "contact_received", ...common(values),
      data: compact({ contact_kind: values.kind, source_agency: values.source, concern_categories: values.concerns, outcome: values.outcome }),
    }),
    done: (values, context) => `${words(values.kind)} recorded: ${values.when.words}${aboutWords(values, context)}.`,
  },
  {
    key: "words",
    opener: "Record the child's words",
    title: "Record the child's words",
    fields: [
      when(),
      about({ children: true, required: true, label: "About", missing: "Select the child whose words these are",
        hint: "The child who said it." }),
      { name: "words", kind: "textarea", label: "Words", required: true, api: ["data.words"], rows: 4,
        hint: "Exactly what the child said, in their own words: do not summarise or correct them.",
        missing: "Enter the child's words, as they said them" },
      { name: "summary", kind: "textarea", label: "Where and how it was said", api: ["summary"], rows: 2,
        hint: "For example, Ava spoke to her teacher at morning break." },
    ],
    toEvent: (values) => ({ type: "child_voice_recorded", ...common(values), data: { words: values.words } }),
    done: (values, context) => `The words of ${listInWords(values.about.map((id) => context.personName(id)))} recorded: ${values.when.words}.`,
  },
  {
    key: "seen",
    opener: "Record the child was seen",
    title: "Record the child was seen",
    fields: [
      when(),
      about({ children: true, required: true, missing: "Select the child who was seen", hint: "The child or children seen." }),
      { name: "alone", kind: "radios", label: "Seen alone", required: true, api: ["data.seen_alone"],
        missing: "Select whether the child was seen alone", options: [["yes", "Yes"], ["no", "No"]] },
      { name: "where", kind: "text", label: "Where", api: ["data.where"], hint: "For example, at home or at school." },
      { name: "summary", kind: "textarea", label: "Summary", api: ["summary"], rows: 3 },
    ],
    toEvent: (values) => ({
      type: "child_seen", ...common(values),
      data: compact({ seen_alone: values.alone === "yes", where: values.where }),
    }),
    done: (values, context) => `${listInWords(values.about.map((id) => context.personName(id)))} seen${values.alone === "yes" ? " alone" : ""}: ${values.when.words}.`,
  },
  {
    key: "decision",
    opener: "Record a decision",
    title: "Record a decision",
    fields: [
      when({ value: londonNowText, hint: `When it was decided. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
      { name: "decision", kind: "textarea", label: "Decision", required: true, api: ["data.decision"], rows: 2,
        missing: "Enter the decision" },
      { name: "rationale", kind: "textarea", label: "Rationale", required: true, api: ["data.rationale"], rows: 4,
        hint: "Why: what the decision weighed, and what it means for the child.", missing: "Enter why this was decided" },
      { name: "relied", kind: "picked", label: "Information relied on", api: ["data.information_relied_on"] },
      about({ more: true, hint: "The people the decision is about." }),
      { name: "urgency", kind: "select", label: "Urgency", more: true, api: ["data.urgency"],
        options: [["routine", "Routine"], ["urgent", "Urgent"], ["emergency", "Emergency"]] },
      { name: "risks", kind: "textarea", label: "Risks", more: true, api: ["data.risks"], rows: 2 },
      { name: "significance", kind: "select", label: "Significance of this entry", more: true, api: ["significance"], options: SIGNIFICANCE },
    ],
    toEvent: (values) => ({
      type: "decision_made", ...common(values),
      data: compact({
        decision: values.decision, rationale: values.rationale, risks: values.risks, urgency: values.urgency,
        information_relied_on: values.relied.map((entry) => entry.event_id),
      }),
    }),
    done: (values) => `Decision recorded: ${values.when.words}${values.relied.length
      ? `, relying on ${values.relied.length} ${values.relied.length === 1 ? "entry" : "entries"}` : ""}.`,
  },
  {
    key: "share",
    opener: "Share with an agency",
    title: "Share with an agency",
    fields: [
      { name: "shared", kind: "picked", label: "What was shared", required: true, api: ["data.event_ids"],
        missing: "Choose at least one entry to share, on the timeline or in the chronology table" },
      { name: "agency", kind: "select", label: "Agency", required: true, api: ["data.to_agency"],
        missing: "Select the agency it was shared with",
        options: (context) => AGENCIES.filter(([slug]) => slug !== context.me.agency) },
      { name: "basis", kind: "radios", label: "Basis", required: true, api: ["data.basis"],
        missing: "Select the basis for sharing",
        options: [["consent", "Consent", "The person agreed to it being shared."],
          ["vital_interests", "Vital interests", "To protect someone's life or safety."],
          ["legal_duty", "Legal duty", "The law requires it to be shared."],
          ["public_interest", "Public interest", "Sharing is needed in the public interest, such as to safeguard a child."]] },
      when({ value: londonNowText, hint: `When it was shared. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
      { name: "summary", kind: "textarea", label: "Summary", more: true, api: ["summary", "data.summary"], rows: 2,
        hint: "What was shared and how, for example by phone to the duty sergeant." },
    ],
    toEvent: (values) => ({
      type: "information_shared", ...common(values),
      // A share is about the people of the entries shared.
      subjects: [...new Set(values.shared.flatMap((entry) => entry.subjects || []))],
      data: { to_agency: values.agency, event_ids: values.shared.map((entry) => entry.event_id), basis: values.basis },
    }),
    done: (values) => `Shared with ${agencyName(values.agency)}: ${values.shared.length} ${values.shared.length === 1 ? "entry" : "entries"}, on the basis of ${words(values.basis).toLowerCase()}, ${values.when.words}.`,
  },
  {
    key: "significance",
    opener: "Mark significance",
    title: "Mark significance",
    fields: [
      { name: "entry", kind: "picked", label: "Entry", required: true, single: true, api: ["data.target_event_id"],
        missing: "Choose the entry to mark, on the timeline or in the chronology table" },
      { name: "significance", kind: "radios", label: "Significance", required: true, api: ["data.significance"],
        missing: "Select how significant the entry is",
        options: [["routine", "Routine", "Part of the everyday record."],
          ["significant", "Significant", "It matters to the child's story."],
          ["key", "Key", "A turning point: it belongs in every summary of the case."]] },
      { name: "reason", kind: "textarea", label: "Reason", api: ["data.reason"], rows: 2 },
    ],
    toEvent: (values) => amending(values.entry[0], "marked_significant",
      compact({ significance: values.significance, reason: values.reason })),
    done: (values, context) => `Marked ${values.significance}: ${context.describeEntry(values.entry[0])}.`,
  },
  {
    key: "correct",
    opener: "Correct an entry",
    title: "Correct an entry",
    fields: [
      { name: "entry", kind: "picked", label: "Entry", required: true, single: true, api: ["data.target_event_id"],
        missing: "Choose the entry to correct, on the timeline or in the chronology table", notice: notOurs },
      when({ required: false, api: ["data.changes.occurred_at", "data.changes.date_uncertain"],
        hint: `Filled in from the entry chosen: change it only if it was wrong. For example, ${WHEN_EXAMPLE}.` }),
      { name: "summary", kind: "textarea", label: "Summary", api: ["data.changes.summary"], rows: 3 },
      { name: "significance", kind: "select", label: "Significance of this entry", api: ["data.changes.significance"], options: SIGNIFICANCE },
      about({ api: ["data.changes.subjects"], hint: "The people the entry is about." }),
      { name: "reason", kind: "textarea", label: "Reason", required: true, api: ["data.reason"], rows: 2,
        hint: "Why it is corrected: the entry stays in the record as it was.", missing: "Enter why the entry is corrected" },
    ],
    onPick: prefillCorrection,
    check: (values, form) => [...ownEntry(values, form), ...(values.entry.length && !Object.keys(changesOf(values, form)).length
      ? [{ field: form.field("summary"), message: "Change at least one thing: the when, the summary, the significance or the people" }] : [])],
    toEvent: (values, context, form) => amending(values.entry[0], "entry_corrected",
      { changes: changesOf(values, form), reason: values.reason }),
    done: (values, context) => `Corrected: ${context.describeEntry(values.entry[0])}.`,
  },
  {
    key: "retract",
    opener: "Retract an entry",
    title: "Retract an entry",
    fields: [
      { name: "entry", kind: "picked", label: "Entry", required: true, single: true, api: ["data.target_event_id"],
        missing: "Choose the entry to retract, on the timeline or in the chronology table", notice: notOurs },
      { name: "reason", kind: "textarea", label: "Reason", required: true, api: ["data.reason"], rows: 2,
        hint: "Why it is withdrawn: it leaves the chronology but stays in the record.", missing: "Enter why the entry is retracted" },
    ],
    check: (values, form) => ownEntry(values, form),
    toEvent: (values) => amending(values.entry[0], "entry_retracted", { reason: values.reason }),
    done: (values, context) => `Retracted: ${context.describeEntry(values.entry[0])}.`,
  },
  {
    key: "oversight",
    opener: "Record oversight",
    title: "Record oversight",
    roles: ["manager"],
    fields: [
      { name: "entry", kind: "picked", label: "Decision", single: true, api: ["data.target_event_id"],
        hint: "Choose a decision on the timeline or in the chronology table; with none chosen, the oversight is of the case as a whole.",
        notice: (entry) => (entry.type === "decision_made" ? null : "This is not a decision: oversight is of a decision, or of the case as a whole.") },
      { name: "view", kind: "radios", label: "View", required: true, api: ["data.view"],
        missing: "Select your view: agree, disagree or agree with changes",
        options: [["agree", "Agree"], ["disagree", "Disagree"], ["agree_with_changes", "Agree with changes"]] },
      { name: "reasons", kind: "textarea", label: "Reasons", required: true, api: ["data.reasons"], rows: 3,
        missing: "Enter the reasons for your view" },
      { name: "next", kind: "textarea", label: "Next steps", api: ["data.next_steps"], rows: 2 },
    ],
    check: (values, form) => (values.entry.length && values.entry[0].type !== "decision_made"
      ? [{ field: form.field("entry"), message: "Choose a decision, or remove the entry for oversight of the case as a whole" }] : []),
    toEvent: (values) => ({
      type: "oversight_recorded", occurred_at: nowValue(), subjects: values.entry[0]?.subjects || [],
      data: compact({ target_event_id: values.entry[0]?.event_id, view: values.view, reasons: values.reasons, next_steps: values.next }),
    }),
    done: (values) => `Oversight recorded: ${words(values.view).toLowerCase()}, ${values.entry.length ? "on the decision chosen" : "on the case as a whole"}.`,
  },
  {
    key: "allocate",
    opener: "Allocate a worker",
    title: "Allocate a worker",
    roles: ["manager"],
    fields: [
      { name: "worker", kind: "text", label: "Worker", required: true, api: ["data.worker"],
        hint: "Their user name, the one they sign in to Foresight with: for example, sw-jones.",
        missing: "Enter the user name of the worker to allocate" },
      { name: "team", kind: "text", label: "Team", api: ["data.team"], hint: "For example, Child protection team." },
      { name: "role", kind: "text", label: "Role in the case", api: ["data.role"], hint: "For example, Social worker." },
      { name: "registration", kind: "text", label: "Social Work England registration number", api: ["data.registration_number"],
        hint: "SW followed by digits, for example SW123456. The looked-after children return (SSDA903) asks for it.",
        pattern: REGISTRATION_NUMBER, invalid: "Enter the registration number as SW followed by digits, for example SW123456" },
      when({ value: londonNowText, hint: `When they took the case. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
    ],
    check: (values, form) => (form.context.allocations().some((held) => held.worker === values.worker)
      ? [{ field: form.field("worker"), message: `${values.worker} is already allocated to this case` }] : []),
    toEvent: (values) => ({
      type: "worker_allocated", ...common(values), subjects: [],
      data: compact({ worker: values.worker, team: values.team, role: values.role,
        registration_number: values.registration.replace(/\s+/g, "").toUpperCase() }),
    }),
    done: (values) => `${values.worker} allocated to the case: ${values.when.words}.`,
  },
  {
    key: "unallocate",
    opener: "End an allocation",
    title: "End an allocation",
    roles: ["manager"],
    fields: [
      { name: "worker", kind: "select", label: "Worker", required: true, api: ["data.worker"], fromCase: true,
        missing: "Select the worker who no longer holds the case",
        options: (context) => context.allocations().map((held) => [held.worker, allocationInWords(held)]),
        hint: "The workers your agency has allocated to the case." },
      { name: "reason", kind: "select", label: "Reason for the change", api: ["data.reason"],
        options: codeOptions(SOCIAL_WORKER_CHANGE_REASON), hint: "Why the child's social worker changed, as the looked-after children return (SSDA903) asks." },
      when({ value: londonNowText, hint: `When they stopped holding the case. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
    ],
    toEvent: (values, context) => {
      const held = context.allocations().find((allocation) => allocation.worker === values.worker) || {};
      return {
        type: "worker_unallocated", ...common(values), subjects: [],
        data: compact({ worker: values.worker, team: held.team, role: held.role, reason: values.reason }),
      };
    },
    done: (values) => `${values.worker} no longer allocated to the case: ${values.when.words}.`,
  },
  {
    key: "close",
    opener: "Close the case",
    title: "Close the case",
    fields: [
      { name: "code", kind: "select", label: "Reason for closing", required: true, api: ["data.reason_code"],
        missing: "Select the reason for closing", options: CLOSURE_REASONS },
      when({ value: londonNowText, hint: `When it was closed. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
      { name: "summary", kind: "textarea", label: "Summary", api: ["summary"], rows: 2 },
    ],
    toEvent: (values) => ({ type: "case_closed", ...common(values), data: { reason_code: values.code } }),
    done: (values) => `Case closed: ${CLOSURE_REASONS.find(([code]) => code === values.code)[1].toLowerCase()}, ${values.when.words}.`,
  },
  {
    key: "reopen",
    opener: "Reopen the case",
    title: "Reopen the case",
    fields: [
      { name: "reason", kind: "text", label: "Reason", api: ["data.reason"], hint: "For example, a new referral." },
      when({ value: londonNowText, hint: `When it was reopened. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
    ],
    toEvent: (values) => ({ type: "case_reopened", ...common(values), data: compact({ reason: values.reason }) }),
    done: (values) => `Case reopened: ${values.when.words}.`,
  },
  {
    key: "plan-start",
    opener: "Start a plan",
    title: "Start a plan",
    fields: [
      { name: "kind", kind: "radios", label: "Kind of plan", required: true, api: ["data.kind"],
        missing: "Select the kind of plan", options: PLAN_KINDS },
      when({ hint: `When the plan started. For example, ${WHEN_EXAMPLE}.` }),
      about({ children: true, hint: "The child or children the plan is for." }),
      { name: "category", kind: "select", label: "Category of abuse", api: ["data.category"], options: ABUSE_CATEGORIES,
        hint: "For a child protection plan." },
      { name: "goals", kind: "textarea", label: "Goals", api: ["data.goals"], rows: 3, hint: "One goal a line." },
      due("review", "Review due", "data.review_due"),
    ],
    toEvent: (values, context, form) => ({
      type: "plan_started", ...common(values),
      data: compact({ plan_id: madeId(values.kind, values, form), kind: values.kind, category: values.category,
        goals: lines(values.goals), review_due: values.review.value }),
    }),
    done: (values, context, event) => `${kindWords(PLAN_KINDS, values.kind)} started: ${values.when.words}${event?.data?.plan_id ? `, as plan ${event.data.plan_id}` : ""}.`,
  },
  {
    key: "plan-review",
    opener: "Review a plan",
    title: "Review a plan",
    fields: [
      { name: "plan", kind: "select", label: "Plan", required: true, api: ["data.plan_id"], fromCase: true,
        missing: "Select the plan reviewed", options: (context) => context.plans(),
        hint: "The plans of the case started and not yet ended." },
      when({ hint: `When it was reviewed. For example, ${WHEN_EXAMPLE}.` }),
      { name: "progress", kind: "textarea", label: "Progress", api: ["data.progress"], rows: 3 },
      { name: "participation", kind: "select", label: "How the child took part", api: ["data.participation"],
        options: codeOptions(REVIEW_PARTICIPATION), hint: "For a looked-after child's review." },
      due("next", "Next review due", "data.next_review_due"),
    ],
    toEvent: (values) => ({
      type: "plan_reviewed", ...common(values),
      data: compact({ plan_id: values.plan, progress: values.progress, next_review_due: values.next.value,
        participation: values.participation }),
    }),
    done: (values) => `Plan ${values.plan} reviewed: ${values.when.words}.`,
  },
  {
    key: "plan-end",
    opener: "End a plan",
    title: "End a plan",
    fields: [
      { name: "plan", kind: "select", label: "Plan", required: true, api: ["data.plan_id"], fromCase: true,
        missing: "Select the plan that ended", options: (context) => context.plans(),
        hint: "The plans of the case started and not yet ended." },
      when({ hint: `When it ended. For example, ${WHEN_EXAMPLE}.` }),
      { name: "reason", kind: "text", label: "Reason", api: ["data.reason"] },
    ],
    toEvent: (values) => ({ type: "plan_ended", ...common(values), data: compact({ plan_id: values.plan, reason: values.reason }) }),
    done: (values) => `Plan ${values.plan} ended: ${values.when.words}.`,
  },
  {
    key: "assessment-start",
    opener: "Start an assessment",
    title: "Start an assessment",
    fields: [
      { name: "kind", kind: "radios", label: "Kind of assessment", required: true, api: ["data.kind"],
        missing: "Select the kind of assessment", options: ASSESSMENT_KINDS },
      when({ hint: `When it started. For example, ${WHEN_EXAMPLE}.` }),
      about({ children: true, hint: "The child or children assessed." }),
    ],
    toEvent: (values, context, form) => ({
      type: "assessment_started", ...common(values),
      data: { assessment_id: madeId(values.kind, values, form), kind: values.kind },
    }),
    done: (values, context, event) => `${kindWords(ASSESSMENT_KINDS, values.kind)} started: ${values.when.words}${event?.data?.assessment_id ? `, as ${event.data.assessment_id}` : ""}.`,
  },
  {
    key: "assessment-complete",
    opener: "Complete an assessment",
    title: "Complete an assessment",
    fields: [
      { name: "assessment", kind: "select", label: "Assessment", required: true, api: ["data.assessment_id"], fromCase: true,
        missing: "Select the assessment completed", options: (context) => context.assessments(),
        hint: "The assessments of the case started and not yet completed." },
      when({ hint: `When it was completed. For example, ${WHEN_EXAMPLE}.` }),
      { name: "outcome", kind: "text", label: "Outcome", api: ["data.outcome"], hint: "For example, child in need plan." },
      { name: "analysis", kind: "textarea", label: "Analysis", api: ["data.analysis"], rows: 4 },
    ],
    toEvent: (values) => ({
      type: "assessment_completed", ...common(values),
      data: compact({ assessment_id: values.assessment, outcome: values.outcome, analysis: values.analysis }),
    }),
    done: (values) => `Assessment ${values.assessment} completed: ${values.when.words}.`,
  },
  {
    key: "strategy",
    opener: "Record a strategy discussion",
    title: "Record a strategy discussion",
    fields: [
      when({ hint: `When it was held. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
      { name: "agencies", kind: "checkboxes", label: "Agencies taking part", api: ["data.agencies"], options: AGENCIES },
      { name: "outcome", kind: "select", label: "Outcome", api: ["data.outcome"],
        options: [["section_47", "Section 47 enquiries"], ["child_in_need", "Child in need assessment"],
          ["early_help", "Early help"], ["no_further_action", "No further action"]] },
      about({ hint: "The people it was about." }),
      { name: "summary", kind: "textarea", label: "Summary", api: ["summary"], rows: 3 },
    ],
    toEvent: (values) => ({
      type: "strategy_discussion_held", ...common(values),
      data: compact({ agencies: values.agencies, outcome: values.outcome }),
    }),
    done: (values) => `Strategy discussion recorded: ${values.when.words}.`,
  },
  {
    key: "conference",
    opener: "Record a conference",
    title: "Record a conference",
    fields: [
      { name: "kind", kind: "radios", label: "Conference", required: true, api: ["data.kind"],
        missing: "Select whether it was an initial or a review conference",
        options: [["initial", "Initial child protection conference"], ["review", "Review child protection conference"]] },
      when({ hint: `When it was held. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
      { name: "outcome", kind: "select", label: "Outcome", api: ["data.outcome"],
        options: [["child_protection_plan", "Child protection plan"], ["no_plan", "No plan"], ["plan_ended", "Plan ended"]] },
      { name: "category", kind: "select", label: "Category of abuse", api: ["data.category"], options: ABUSE_CATEGORIES },
      about({ children: true, hint: "The child or children the conference was about." }),
      { name: "summary", kind: "textarea", label: "Summary", api: ["summary"], rows: 3 },
    ],
    toEvent: (values) => ({
      type: "conference_held", ...common(values),
      data: compact({ kind: values.kind, outcome: values.outcome, category: values.category }),
    }),
    done: (values) => `${values.kind === "initial" ? "Initial" : "Review"} conference recorded: ${values.when.words}.`,
  },
  {
    key: "core-group",
    opener: "Record a core group",
    title: "Record a core group",
    fields: [
      when({ hint: `When it met. For example, ${WHEN_EXAMPLE}, with a time like 10:15.` }),
      { name: "plan", kind: "select", label: "Plan", api: ["data.plan_id"], fromCase: true,
        options: (context) => context.plans(), hint: "The child protection plan the core group works to." },
      { name: "agencies", kind: "checkboxes", label: "Agencies taking part", api: ["data.agencies"], options: AGENCIES },
      { name: "outcome", kind: "text", label: "Outcome", api: ["data.outcome"],
        hint: "For example, plan updated; next core group in four weeks." },
      about({ more: true, children: true, hint: "The child or children the plan is for." }),
      { name: "summary", kind: "textarea", label: "Summary", more: true, api: ["summary"], rows: 3 },
    ],
    toEvent: (values) => ({
      type: "core_group_held", ...common(values),
      data: compact({ plan_id: values.plan, agencies: values.agencies, outcome: values.outcome }),
    }),
    done: (values) => `Core group recorded: ${values.when.words}${values.plan ? `, for plan ${values.plan}` : ""}.`,
  },
  {
    key: "legal-status",
    opener: "Record a legal status",
    title: "Record a legal status",
    fields: [
      child({ hint: "The child whose legal status it is." }),
      { name: "status", kind: "select", label: "Legal status", required: true, api: ["data.status"],
        missing: "Select the legal status", options: codeOptions(LEGAL_STATUS),
        hint: "The child's legal status as a looked-after child, from this date." },
      when({ hint: `From when. For example, ${WHEN_EXAMPLE}.` }),
      { name: "summary", kind: "textarea", label: "Summary", more: true, api: ["summary"], rows: 2 },
    ],
    toEvent: (values) => ({
      type: "legal_status_changed", ...common(values), subjects: [values.child],
      data: { status: values.status, person_id: values.child },
    }),
    done: (values, context) => `Legal status${childWords(values, context)}: ${codeInWords(LEGAL_STATUS)(values.status)}, from ${values.when.words}.`,
  },
  {
    key: "placement-start",
    opener: "Start a placement",
    title: "Start a placement",
    fields: [
      child({ hint: "The child placed." }),
      when({ hint: `When the placement started. For example, ${WHEN_EXAMPLE}.` }),
      { name: "kind", kind: "select", label: "Placement type", api: ["data.kind"], options: codeOptions(PLACEMENT_TYPE) },
      { name: "provider", kind: "select", label: "Provider", api: ["data.provider"], options: codeOptions(PLACEMENT_PROVIDER) },
      { name: "postcode", kind: "text", label: "Postcode of the placement, in part", api: ["data.postcode"],
        hint: "Only the first part and the next digit, for example LS1 4: never the full postcode.",
        invalid: "Enter the first part of the postcode and the next digit, for example LS1 4" },
      { name: "home", kind: "text", label: "Child's home postcode", api: ["data.home_postcode"],
        hint: "Where the child lived when this period of care began: in full, for example LS1 4AP, or in part, for example LS1 4.",
        invalid: "Enter the child's home postcode in full, for example LS1 4AP, or in part, for example LS1 4" },
      { name: "reason", kind: "select", label: "Reason for new episode", more: true, api: ["data.reason"],
        options: codeOptions(EPISODE_START_REASON) },
      { name: "change", kind: "select", label: "Reason for placement change", more: true, api: ["data.change_reason"],
        options: codeOptions(PLACEMENT_CHANGE_REASON), hint: "When the child moved from another placement." },
      { name: "urn", kind: "text", label: "Ofsted URN", more: true, api: ["data.urn"],
        hint: "The unique reference number of the provider, if Ofsted registers it." },
      { name: "permanence", kind: "radios", label: "Previous permanence", more: true, api: ["data.previous_permanence"],
        options: codeOptions(PREVIOUS_PERMANENCE),
        hint: "On the placement that begins a period of care: the permanence order the child had before, if any." },
      { ...due("permanenceDate", "Date of the permanence order", "data.permanence_date"), more: true, shownWhen: hadPermanence },
      { name: "authority", kind: "text", label: "Local authority that arranged it", more: true, api: ["data.permanence_authority"],
        shownWhen: hadPermanence, pattern: PERMANENCE_AUTHORITY,
        hint: "The DfE's three-digit code of the local authority, for example 383; or WAL, SCO, NIR or NUK outside England.",
        invalid: "Enter the local authority as its three-digit DfE code, for example 383, or WAL, SCO, NIR or NUK" },
      { name: "summary", kind: "textarea", label: "Summary", more: true, api: ["summary"], rows: 2 },
    ],
    toEvent: (values, context, form) => ({
      type: "placement_started", ...common(values), subjects: [values.child],
      data: compact({
        placement_id: madeId("placement", values, form), person_id: values.child, kind: values.kind,
        provider: values.provider, postcode: values.postcode.toUpperCase(), reason: values.reason,
        change_reason: values.change, urn: values.urn, home_postcode: values.home.toUpperCase(),
        previous_permanence: values.permanence,
        ...(hadPermanence(values) ? {
          permanence_date: values.permanenceDate.value, permanence_authority: values.authority.toUpperCase(),
        } : {}),
      }),
    }),
    done: (values, context, event) => `Placement started${childWords(values, context)}: ${values.when.words}${event?.data?.placement_id ? `, as ${event.data.placement_id}` : ""}.`,
  },
  {
    key: "placement-end",
    opener: "End a placement",
    title: "End a placement",
    fields: [
      { name: "placement", kind: "select", label: "Placement", required: true, api: ["data.placement_id"], fromCase: true,
        missing: "Select the placement that ended: a placement must be started before it can end",
        options: (context) => context.placements().map(({ id, words: text }) => [id, text]),
        hint: "The placements of the case started and not yet ended." },
      when({ hint: `When it ended. For example, ${WHEN_EXAMPLE}.` }),
      { name: "reason", kind: "select", label: "Reason", api: ["data.reason"], options: codeOptions(EPISODE_END_REASON),
        hint: "Choose “Placement changed” when the child moves to another placement and stays looked after." },
      { name: "summary", kind: "textarea", label: "Summary", more: true, api: ["summary"], rows: 2 },
    ],
    toEvent: (values, context) => {
      const placement = context.placements().find(({ id }) => id === values.placement);
      const person = placement?.personId;
      return {
        type: "placement_ended", ...common(values), subjects: person ? [person] : [],
        data: compact({ placement_id: values.placement, person_id: person, reason: values.reason }),
      };
    },
    done: (values) => `Placement ${values.placement} ended: ${values.when.words}.`,
  },
  {
    key: "missing",
    opener: "Record a missing episode",
    title: "Record a missing episode",
    fields: [
      child({ hint: "The child who was missing or away." }),
      when({ label: "Started", api: ["occurred_at", "date_uncertain", "data.started"],
        hint: `When they went missing. For example, ${WHEN_EXAMPLE}, with a time like 22:30.` }),
      { name: "ended", kind: "when", label: "Ended", required: false, due: true, api: ["data.ended"],
        hint: `When they came back, if they have. For example, ${WHEN_EXAMPLE}, with a time like 08:00.` },
      { name: "kind", kind: "radios", label: "Missing or away", api: ["data.kind"],
        options: [["missing", "Missing", "Not at the placement and whereabouts not known."],
          ["away", "Away without authorisation", "Not where they should be, but whereabouts known."]] },
      { name: "interview", kind: "radios", label: "Return interview offered", api: ["data.return_interview_offered"],
        options: YES_NO },
      { name: "summary", kind: "textarea", label: "Summary", more: true, api: ["summary"], rows: 2 },
    ],
    toEvent: (values) => ({
      type: "missing_episode_recorded", ...common(values), subjects: [values.child],
      data: compact({
        person_id: values.child, started: values.when.value, ended: values.ended.value, kind: values.kind,
        return_interview_offered: yesNo(values.interview),
      }),
    }),
    done: (values, context) => `${values.kind === "away" ? "Away without authorisation" : "Missing episode"}${childWords(values, context)} recorded: from ${values.when.words}${values.ended.value ? ` to ${values.ended.words}` : ""}.`,
  },
  {
    key: "emergency-protection",
    opener: "Record emergency protection",
    title: "Record emergency protection",
    fields: [
      { name: "kind", kind: "radios", label: "Kind", required: true, api: ["data.kind"],
        missing: "Select police protection or an emergency protection order",
        options: Object.entries(EMERGENCY_PROTECTION_KIND) },
      child({ hint: "The child protected." }),
      when({ hint: `When it began. For example, ${WHEN_EXAMPLE}, with a time like 18:00.` }),
      { name: "ends", kind: "when", label: "Ends", required: false, due: true, api: ["data.ends"],
        hint: `When it ends or ended. For example, ${WHEN_EXAMPLE}, with a time like 18:00.` },
      { name: "summary", kind: "textarea", label: "Summary", more: true, api: ["summary"], rows: 2 },
    ],
    toEvent: (values) => ({
      type: "emergency_protection", ...common(values), subjects: [values.child],
      data: compact({ kind: values.kind, person_id: values.child, ends: values.ends.value }),
    }),
    done: (values, context) => `${EMERGENCY_PROTECTION_KIND[values.kind]}${childWords(values, context)} recorded: ${values.when.words}.`,
  },
];

// ---------------------------------------------------------------- the section

class Recording {
  constructor(place, { caseId, me, token, refresh }) {
    this.place = place;
    this.caseId = caseId;
    this.me = me;
    this.token = token;
    this.refresh = refresh;
    this.people = null;
    this.plans = [];
    this.placements = [];
    this.assessments = [];
    this.allocations = [];
    this.forms = new Map();
    this.openers = new Map();
    this.current = null;
    this.status = el("div", { class: "recording-status" });
    this.slot = el("div", { class: "recording-slot" });
    // The everyday forms' buttons are always in sight; the rest wait behind "More ways to
    // record" (a GOV.UK details: a native <details>, so keyboards reach it), not a wall of them.
    const buttons = el("div", { class: "govuk-button-group recording-buttons" });
    const moreButtons = el("div", { class: "govuk-button-group recording-buttons" });
    this.moreWays = el("details", { class: "govuk-details recording-more-ways" },
      el("summary", { class: "govuk-details__summary" },
        el("span", { class: "govuk-details__summary-text" }, "More ways to record")),
      el("div", { class: "govuk-details__text" }, moreButtons));
    // Some forms are a manager's alone (oversight, allocation): others do not see their buttons.
    for (const spec of FORMS.filter((form) => !form.roles || form.roles.includes(me.role))) {
      const opener = el("button", {
        type: "button", class: "govuk-button govuk-button--secondary", "aria-expanded": "false",
        "aria-controls": `rec-${spec.key}`, onclick: () => this.open(spec),
      }, spec.opener);
      this.openers.set(spec.key, opener);
      (EVERYDAY_FORMS.includes(spec.key) ? buttons : moreButtons).append(opener);
    }
    place.replaceChildren(el("h2", { class: "govuk-heading-m recording-title" }, "Record"), this.status, buttons,
      this.moreWays, this.slot);
    this.showCaseState(false);
    this.loadPeople();
    this.onChosen = (event) => this.current?.choose(event.detail.entry);
    document.addEventListener("foresight:chosen", this.onChosen);
  }

  async loadPeople() {
    // Asked again each time a form opens: people may have been added to the case since.
    try {
      const types = ["person_added", ...PLAN_TYPES, ...ASSESSMENT_TYPES, ...PLACEMENT_TYPES, ...CASE_STATE_TYPES,
        ...ALLOCATION_TYPES].join(",");
      const response = await fetch(`/cases/${encodeURIComponent(this.caseId)}/chronology?types=${types}`, {
        headers: { Authorization: `Bearer ${this.token()}` },
      });
      const entries = response.ok ? await response.json() : null;
      this.people = entries ? entries.filter((e) => e.type === "person_added").map((entry) => entry.data) : this.people || [];
      if (entries) {
        this.plans = stillOpen(entries, PLAN_TYPES, "plan_id");
        this.placements = currentPlacements(entries, (id) => this.personName(id));
        this.assessments = stillOpen(entries, ASSESSMENT_TYPES, "assessment_id");
        // Only the signed-in agency's own allocations can be ended by its managers.
        this.allocations = currentAllocations(entries.filter((e) => e.agency === this.me.agency));
        // The chronology is in order of when things happened; the case's state is the last recorded.
        const recorded = (e) => Date.parse(e.recorded_at || e.known_at || e.occurred_at) || 0;
        const states = entries.filter((e) => CASE_STATE_TYPES.includes(e.type)).sort((a, b) => recorded(a) - recorded(b));
        this.showCaseState(states.length > 0 && states[states.length - 1].type === "case_closed");
      }
    } catch {
      this.people = this.people || [];
    }
  }

  // Close the case while it is open, reopen it while it is closed: only one button shows.
  showCaseState(closed) {
    this.openers.get("close").hidden = closed;
    this.openers.get("reopen").hidden = !closed;
  }

  personName(personId) {
    const person = (this.people || []).find((p) => p.person_id === personId);
    return person?.name || personId;
  }

  peopleOptions(childrenOnly) {
    const people = (this.people || []).filter((p) => !childrenOnly || p.role === "child");
    const children = (this.people || []).filter((p) => p.role === "child");
    // Preselect only when the case has one child: in a family case the practitioner chooses.
    return people.map((p) => [p.person_id, `${p.name || p.person_id} (${p.role})`,
      p.relationship || null, children.length === 1 && p.role === "child"]);
  }

  describeEntry(entry) {
    const headline = entry.summary || entry.data?.words || entry.data?.decision
      || entry.data?.description || words(entry.type);
    return `${readableDate(entry.occurred_at)} · ${agencyName(entry.agency)} · ${headline}`;
  }

  async open(spec) {
    if (this.current?.spec.key === spec.key) return this.current.focusFirst();
    this.detach();
    this.status.replaceChildren();
    await this.loadPeople();
    let form = this.forms.get(spec.key);
    if (!form) {
      form = new RecordingForm(spec, this.contextFor());
      this.forms.set(spec.key, form);
    } else {
      form.refreshPeople();
    }
    this.current = form;
    this.slot.append(form.form);
    this.openers.get(spec.key).setAttribute("aria-expanded", "true");
    form.focusFirst();
  }

  contextFor() {
    return {
      close: () => this.close(),
      post: (envelope) => this.post(envelope),
      saved: (form, message, event) => this.saved(form, message, event),
      peopleOptions: (childrenOnly) => this.peopleOptions(childrenOnly),
      personName: (id) => this.personName(id),
      describeEntry: (entry) => this.describeEntry(entry),
      plans: () => this.plans,
      placements: () => this.placements,
      assessments: () => this.assessments,
      allocations: () => this.allocations,
      me: this.me,
    };
  }

  detach() {
    // A closed form keeps what was typed in it (until it is saved): it is only taken out.
    if (!this.current) return null;
    const key = this.current.spec.key;
    this.current.form.remove();
    this.current = null;
    const opener = this.openers.get(key);
    opener.setAttribute("aria-expanded", "false");
    return opener;
  }

  close() {
    this.detach()?.focus();
  }

  async post(envelope) {
    let response;
    try {
      response = await fetch(`/cases/${encodeURIComponent(this.caseId)}/events`, {
        method: "POST",
        headers: { Authorization: `Bearer ${this.token()}`, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(envelope),
      });
    } catch {
      return { ok: false, networkError: true };
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok) return { ok: true, event: Array.isArray(body) ? body[0] : body };
    return { ok: false, status: response.status, problem: body };
  }

  async saved(form, message, event) {
    this.detach();
    const titleId = "recording-success-title";
    const banner = el("div", {
      class: "govuk-notification-banner govuk-notification-banner--success", role: "alert",
      "aria-labelledby": titleId, tabindex: "-1", "data-module": "govuk-notification-banner",
    },
    el("div", { class: "govuk-notification-banner__header" },
      el("h2", { class: "govuk-notification-banner__title", id: titleId }, "Saved")),
    el("div", { class: "govuk-notification-banner__content" },
      el("p", { class: "govuk-notification-banner__heading" }, message),
      el("p", { class: "govuk-body" }, "It is in the timeline and the chronology table.")));
    this.status.replaceChildren(banner);
    banner.focus();
    try {
      await this.refresh();
    } catch {
      banner.querySelector(".govuk-body").textContent =
        "It was saved, but the case could not be drawn again just now: reload the page to see it.";
      return;
    }
    const row = event && document.getElementById(`row-${event.event_id}`);
    if (row) row.classList.add("recording-new");
    if (CASE_STATE_TYPES.includes(event?.type)) this.showCaseState(event.type === "case_closed");
    // A corrected or marked entry is chosen again, so the panel shows it as it now stands,
    // with its history (was … / now …), rather than as it was before the save.
    const target = SHOWN_AGAIN.includes(event?.type) && document.getElementById(`row-${event.data?.target_event_id}`);
    const choose = target && target.querySelector("button");
    if (choose) {
      choose.click();
      banner.focus();
    }
  }
}

function readableDate(value) {
  if (!value) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [year, month, day] = value.split("-").map(Number);
    return `${day} ${MONTH_NAMES[month - 1].slice(0, 3)} ${year}`;
  }
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  }).format(new Date(value));
}

export function setUpRecording({ caseId, me, token, refresh }) {
  const place = document.getElementById("recording");
  if (!place) return;
  if (place.recording) document.removeEventListener("foresight:chosen", place.recording.onChosen);
  place.recording = null;
  place.replaceChildren();
  place.hidden = !RECORDERS.includes(me.role);
  if (place.hidden) return;
  place.recording = new Recording(place, { caseId, me, token, refresh });
}

// Opens one of the forms by its key (the start of a case not yet in the record offers the
// contact form), showing "More ways to record" first when its button is there.
export function openRecordingForm(key) {
  const recording = document.getElementById("recording")?.recording;
  const spec = FORMS.find((form) => form.key === key);
  if (!recording || !spec || !recording.openers.has(key)) return;
  if (!EVERYDAY_FORMS.includes(key)) recording.moreWays.open = true;
  recording.open(spec);
}
