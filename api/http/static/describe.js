// An entry in plain words for the details panel: every recorded field, the entries it names
// as links, and its history of corrections. Values are written as text, never as HTML.

import {
  EMERGENCY_PROTECTION_KIND, EPISODE_END_REASON, EPISODE_START_REASON, LEGAL_STATUS, MISSING_KIND,
  PLACEMENT_CHANGE_REASON, PLACEMENT_PROVIDER, PLACEMENT_TYPE, PREVIOUS_PERMANENCE, REVIEW_PARTICIPATION,
  SOCIAL_WORKER_CHANGE_REASON, UPN_UNKNOWN_REASON, codeInWords,
} from "./codes.js";

const ZONE = "Europe/London";
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

const londonParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: ZONE, year: "numeric", month: "numeric", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

function partsOf(instant) {
  return Object.fromEntries(londonParts.formatToParts(instant).map((p) => [p.type, p.value]));
}

// A recorded date or instant the UK way: "15 March 2024" for a date, "15 March 2024, 10:15"
// for an instant (London time). An instant at the very end of a London day stands for a
// source that gave only the date ("by the end of 15 March 2024").
export function ukWhen(value) {
  if (!value) return "";
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) return `${Number(day[3])} ${MONTHS[Number(day[2]) - 1]} ${day[1]}`;
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) return String(value);
  const p = partsOf(instant);
  const date = `${Number(p.day)} ${MONTHS[Number(p.month) - 1]} ${p.year}`;
  if (p.hour === "23" && p.minute === "59" && p.second === "59" && instant.getUTCMilliseconds() === 999) {
    return `by the end of ${date}`;
  }
  return `${date}, ${p.hour}:${p.minute}`;
}

// A date typed the UK way, with an optional 24-hour time: 15/03/2024, 15 March 2024 or
// 2024-03-15, then 10:15 if wanted. Gives { value } as ISO text for the API ("2024-03-15",
// or "2024-03-15T10:15", London time) or { error } in plain words; empty text is { value: null }.
export function readUkWhen(text) {
  const typed = String(text || "").trim().replace(/\s+/g, " ");
  if (!typed) return { value: null };
  const problem = { error: "Enter a date like 15/03/2024 or 2024-03-15, with a time like 10:15 if you want one" };
  const time = /^(.*?)(?:[ T,]+(?:at )?(\d{1,2})[:.](\d{2}))?$/i.exec(typed);
  const datePart = time[1].replace(/,$/, "").trim();
  let year, month, day;
  let match;
  if ((match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(datePart))) [, day, month, year] = match;
  else if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(datePart))) [, year, month, day] = match;
  else if ((match = /^(\d{1,2}) ([a-z]+) (\d{4})$/i.exec(datePart))) {
    const index = MONTHS.findIndex((name) => name.toLowerCase().startsWith(match[2].toLowerCase().slice(0, 3))
      && (match[2].length === 3 || name.toLowerCase() === match[2].toLowerCase()));
    if (index < 0) return problem;
    [day, month, year] = [match[1], String(index + 1), match[3]];
  } else return problem;
  const y = Number(year), m = Number(month), d = Number(day);
  const real = new Date(Date.UTC(y, m - 1, d));
  if (m < 1 || m > 12 || real.getUTCMonth() !== m - 1 || real.getUTCDate() !== d) {
    return { error: `${datePart} is not a real date: enter a date like 15/03/2024` };
  }
  const iso = `${year}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  if (time[2] === undefined) return { value: iso };
  const hours = Number(time[2]), minutes = Number(time[3]);
  if (hours > 23 || minutes > 59) return { error: "Enter a time between 00:00 and 23:59, like 10:15" };
  return { value: `${iso}T${String(hours).padStart(2, "0")}:${time[3]}` };
}

// ---------------------------------------------------------------- the vocabulary in words

const CONTACT_KIND = { referral: "Referral", concern: "Concern", notification: "Notification",
  request_for_help: "Request for help" };
const CONCERN = { neglect: "Neglect", physical: "Physical abuse", emotional: "Emotional abuse",
  sexual: "Sexual abuse", domestic_abuse: "Domestic abuse", exploitation: "Exploitation", other: "Other" };
const CONTACT_OUTCOME = { no_further_action: "No further action", early_help: "Early help",
  assessment: "Assessment", strategy_discussion: "Strategy discussion", signposted: "Signposted to other services" };
const ASSESSMENT_KIND = { single: "Single assessment", section_47: "Section 47 enquiries",
  early_help: "Early help assessment", other: "Other assessment" };
const CONFERENCE_KIND = { initial: "Initial child protection conference", review: "Review child protection conference" };
const CONFERENCE_OUTCOME = { child_protection_plan: "Child protection plan", no_plan: "No plan",
  plan_ended: "Plan ended" };
const PLAN_KIND = { early_help: "Early help plan", child_in_need: "Child in need plan",
  child_protection: "Child protection plan", looked_after: "Looked after (care plan)" };
const URGENCY = { routine: "Routine", urgent: "Urgent", emergency: "Emergency" };
const ACTION_KIND = { service: "Service", visit: "Visit", referral_on: "Referral on to another service",
  legal: "Legal", other: "Other" };
const ACTION_STATUS = { planned: "Planned", done: "Done", cancelled: "Cancelled" };
const SHARING_BASIS = { consent: "Consent", vital_interests: "Vital interests", legal_duty: "Legal duty",
  public_interest: "Public interest" };
const SIGNIFICANCE = { routine: "Routine", significant: "Significant", key: "Key" };
const ROLE = { child: "Child", adult: "Adult" };
const OVERSIGHT_VIEW = { agree: "Agree", disagree: "Disagree", agree_with_changes: "Agree with changes" };
const SEX = { M: "Male", F: "Female", U: "Not stated or not recorded" };
const ABUSE_CATEGORY = { NEG: "Neglect", PHY: "Physical abuse", SAB: "Sexual abuse", EMO: "Emotional abuse",
  MUL: "Multiple categories" };
// The DfE Children in Need census codes, in its words, the code kept for those who know it.
const PRIMARY_NEED = { N0: "Not stated", N1: "Abuse or neglect", N2: "Child's disability",
  N3: "Parental disability or illness", N4: "Family in acute stress", N5: "Family dysfunction",
  N6: "Socially unacceptable behaviour", N7: "Low income", N8: "Absent parenting",
  N9: "Cases other than children in need" };
const CLOSURE_REASON = { RC1: "Adopted", RC2: "Died", RC3: "Child arrangements order",
  RC4: "Special guardianship order", RC5: "Transferred to services of another local authority",
  RC6: "Transferred to adult social care services",
  RC7: "Services ceased for any other reason, including child no longer in need",
  RC8: "Case closed after assessment, no further action",
  RC9: "Case closed after assessment, referred to early help" };
const REFERRAL_SOURCE = { "1A": "Individual: family member, relative or carer", "1B": "Individual: acquaintance",
  "1C": "Individual: self", "1D": "Individual: other", "2A": "Schools", "2B": "Education services",
  "3A": "Health services: GP", "3B": "Health services: health visitor", "3C": "Health services: school nurse",
  "3D": "Health services: other primary health services", "3E": "Health services: A&E",
  "3F": "Health services: other", 4: "Housing", "5A": "Local authority services: social care",
  "5B": "Local authority services: other internal", "5C": "Local authority services: external",
  "5D": "Local authority services: early help", 6: "Police", 7: "Other legal agency", 8: "Other",
  9: "Anonymous", 10: "Unknown" };
const ETHNICITY = { WBRI: "White British", WIRI: "White Irish", WIRT: "Traveller of Irish heritage",
  WOTH: "Any other White background", WROM: "Gypsy or Roma", MWBC: "White and Black Caribbean",
  MWBA: "White and Black African", MWAS: "White and Asian", MOTH: "Any other mixed background",
  AIND: "Indian", APKN: "Pakistani", ABAN: "Bangladeshi", AOTH: "Any other Asian background",
  BCRB: "Caribbean", BAFR: "African", BOTH: "Any other Black background", CHNE: "Chinese",
  OOTH: "Any other ethnic group", REFU: "Refused", NOBT: "Information not yet obtained" };
const DISABILITY = { NONE: "No disability", MOB: "Mobility", HAND: "Hand function", PC: "Personal care",
  INC: "Incontinence", COMM: "Communication", LD: "Learning", HEAR: "Hearing", VIS: "Vision",
  BEH: "Behaviour", CON: "Consciousness", AUT: "Autism or Asperger syndrome", DDA: "Other disability" };
const WHO = { A: "concerns about the child", B: "concerns about the parent or carer",
  C: "concerns about another person in the household" };
const FACTOR_TOPIC = { 1: "Alcohol misuse", 2: "Drug misuse", 3: "Domestic abuse", 4: "Mental health",
  5: "Learning disability", 6: "Physical disability or illness" };
const FACTOR = { "7A": "Young carer", "9A": "Unaccompanied asylum-seeking child", "10A": "Going missing",
  "11A": "Child sexual exploitation", "12A": "Trafficking", "13A": "Gangs",
  "14A": "Socially unacceptable behaviour", "15A": "Self-harm", "16A": "Abuse or neglect: neglect",
  "17A": "Abuse or neglect: emotional abuse", 20: "Female genital mutilation", 21: "No factors identified" };

function factorInWords(code) {
  const topic = /^([1-6])([ABC])$/.exec(code);
  if (topic) return `${FACTOR_TOPIC[topic[1]]}: ${WHO[topic[2]]} (${code})`;
  return FACTOR[code] ? `${FACTOR[code]} (${code})` : `Factor ${code}`;
}

function agencyInWords(name) {
  const words = String(name).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function inWords(table, withCode = false) {
  return (code) => {
    const words = table[code];
    if (!words) return labelOf(code);
    return withCode ? `${words} (${code})` : words;
  };
}

export function typeInWords(type) {
  const words = String(type).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Each type's fields in the vocabulary's order: [field, label, how the value is shown].
// How: a function of one value (a code in words), "list", "date", "yesno", "entry", "entries",
// "person", "agency", "agencies", "words" (the child's own words), or nothing for text.
const FIELDS = {
  person_added: [
    ["name", "Name"], ["person_id", "Known here as"], ["role", "Role", inWords(ROLE)],
    ["date_of_birth", "Date of birth", "date"], ["expected_birth_date", "Expected birth date", "date"],
    ["relationship", "Relationship"], ["household", "Household"], ["upn", "Unique pupil number"],
    ["upn_unknown_reason", "Reason for no unique pupil number", codeInWords(UPN_UNKNOWN_REASON)],
    ["sex", "Sex", inWords(SEX)], ["ethnicity", "Ethnicity", inWords(ETHNICITY, true)],
    ["disabilities", "Disabilities", inWords(DISABILITY)],
  ],
  relationship_recorded: [
    ["person_id", "Person", "person"], ["relationship", "Relationship"],
    ["other_person_id", "To", "person"],
  ],
  contact_received: [
    ["contact_kind", "Kind of contact", inWords(CONTACT_KIND)],
    ["source_agency", "Source agency", "agency"],
    ["concern_categories", "Concerns", inWords(CONCERN)],
    ["concern_category", "Concern", inWords(CONCERN)],
    ["outcome", "Outcome", inWords(CONTACT_OUTCOME)],
    ["referral_source", "Referral source", inWords(REFERRAL_SOURCE, true)],
    ["primary_need", "Primary need", inWords(PRIMARY_NEED, true)],
  ],
  child_seen: [["seen_alone", "Seen alone", "yesno"], ["where", "Where"]],
  child_voice_recorded: [["words", "The child's words", "words"]],
  assessment_started: [["assessment_id", "Assessment"], ["kind", "Kind", inWords(ASSESSMENT_KIND)]],
  assessment_completed: [
    ["assessment_id", "Assessment"], ["outcome", "Outcome"], ["analysis", "Analysis"],
    ["factors", "Factors identified", factorInWords],
  ],
  strategy_discussion_held: [["agencies", "Agencies", "agencies"], ["outcome", "Outcome", inWords({})]],
  conference_held: [
    ["kind", "Kind", inWords(CONFERENCE_KIND)], ["outcome", "Outcome", inWords(CONFERENCE_OUTCOME)],
    ["category", "Category of abuse", inWords(ABUSE_CATEGORY)],
  ],
  plan_started: [
    ["plan_id", "Plan"], ["kind", "Kind", inWords(PLAN_KIND)],
    ["category", "Category of abuse", inWords(ABUSE_CATEGORY)], ["goals", "Goals", "list"],
    ["review_due", "Review due", "date"],
  ],
  plan_reviewed: [
    ["plan_id", "Plan"], ["progress", "Progress"], ["next_review_due", "Next review due", "date"],
    ["participation", "How the child took part", codeInWords(REVIEW_PARTICIPATION)],
  ],
  plan_ended: [["plan_id", "Plan"], ["reason", "Reason"]],
  decision_made: [
    ["decision", "Decision"], ["rationale", "Rationale"], ["options_considered", "Options considered", "list"],
    ["information_relied_on", "Information relied on", "entries"], ["risks", "Risks"],
    ["urgency", "Urgency", inWords(URGENCY)], ["review_by", "Review by", "date"],
  ],
  action_taken: [
    ["description", "Action"], ["action_kind", "Kind", inWords(ACTION_KIND)],
    ["status", "Status", inWords(ACTION_STATUS)], ["due", "Due", "date"],
  ],
  information_shared: [
    ["to_agency", "Shared with", "agency"], ["event_ids", "Entries shared", "entries"],
    ["basis", "Basis for sharing", inWords(SHARING_BASIS)], ["summary", "What was shared"],
  ],
  document_attached: [
    ["name", "Document"], ["media_type", "Kind of file"], ["size", "Size in bytes"], ["sha256", "SHA-256"],
  ],
  document_version_added: [
    ["name", "Document"], ["version_number", "Version"], ["document_id", "Document id"],
    ["media_type", "Kind of file"], ["size", "Size in bytes"], ["sha256", "SHA-256"],
  ],
  marked_significant: [
    ["target_event_id", "Entry marked", "entry"], ["significance", "Marked as", inWords(SIGNIFICANCE)],
    ["reason", "Reason"],
  ],
  entry_corrected: [["target_event_id", "Entry corrected", "entry"], ["reason", "Reason"]],
  entry_retracted: [["target_event_id", "Entry retracted", "entry"], ["reason", "Reason"]],
  worker_allocated: [
    ["worker", "Worker"], ["team", "Team"], ["role", "Role"],
    ["registration_number", "Social Work England registration number"],
  ],
  worker_unallocated: [
    ["worker", "Worker"], ["team", "Team"], ["role", "Role"],
    ["reason", "Reason for the change", codeInWords(SOCIAL_WORKER_CHANGE_REASON)],
  ],
  oversight_recorded: [
    ["target_event_id", "Decision overseen", "entry"], ["view", "Manager's view", inWords(OVERSIGHT_VIEW)],
    ["reasons", "Reasons"], ["next_steps", "Next steps"],
  ],
  case_closed: [["reason_code", "Reason for closure", inWords(CLOSURE_REASON, true)]],
  case_reopened: [["reason", "Reason"]],
  core_group_held: [["plan_id", "Plan"], ["agencies", "Agencies", "agencies"], ["outcome", "Outcome"]],
  legal_status_changed: [["status", "Legal status", codeInWords(LEGAL_STATUS)], ["person_id", "Child", "person"]],
  placement_started: [
    ["placement_id", "Placement"], ["person_id", "Child", "person"],
    ["kind", "Placement type", codeInWords(PLACEMENT_TYPE)],
    ["provider", "Placement provider", codeInWords(PLACEMENT_PROVIDER)], ["postcode", "Postcode (partial)"],
    ["home_postcode", "Child's home postcode"],
    ["reason", "Reason for new episode", codeInWords(EPISODE_START_REASON)],
    ["change_reason", "Reason for placement change", codeInWords(PLACEMENT_CHANGE_REASON)],
    ["urn", "Ofsted URN"],
    ["previous_permanence", "Previous permanence", codeInWords(PREVIOUS_PERMANENCE)],
    ["permanence_date", "Date of the permanence order", "date"],
    ["permanence_authority", "Local authority that arranged it"],
  ],
  placement_ended: [
    ["placement_id", "Placement"], ["person_id", "Child", "person"],
    ["reason", "Reason episode ceased", codeInWords(EPISODE_END_REASON)],
  ],
  missing_episode_recorded: [
    ["person_id", "Child", "person"], ["started", "Started", "date"], ["ended", "Ended", "date"],
    ["kind", "Missing or away", inWords(MISSING_KIND)],
    ["return_interview_offered", "Return interview offered", "yesno"],
  ],
  emergency_protection: [
    ["kind", "Kind", inWords(EMERGENCY_PROTECTION_KIND)],
    ["person_id", "Child", "person"], ["ends", "Ends", "date"],
  ],
};

// The entry's own fields a correction may change, in words.
const ENTRY_FIELDS = {
  occurred_at: ["When", "date"], date_uncertain: ["Date not certain", "yesno"], summary: ["Summary"],
  subjects: ["About", "person"], significance: ["Significance", inWords(SIGNIFICANCE)], impact: ["Impact"],
  action: ["Action taken"],
};

function labelOf(name) {
  const words = String(name).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// ---------------------------------------------------------------- building the panel

export function describeEntry(entry, helpers) {
  const { el } = helpers;
  const data = entry.data || {};
  const whole = document.createDocumentFragment();

  if (entry.type === "child_voice_recorded" && data.words) {
    whole.append(el("p", { class: "govuk-body govuk-!-margin-bottom-1" }, "In the child's own words:"),
      el("blockquote", { class: "govuk-inset-text words" }, `“${data.words}”`));
  }

  const list = el("dl", { class: "govuk-summary-list" });
  // Rows another part of the panel already shows (a decision's foresight facts) are left out.
  const leaveOut = helpers.leaveOut || new Set();
  const row = (label, value) => {
    if (value === null || value === undefined || value === "" || leaveOut.has(label)) return;
    list.append(el("div", { class: "govuk-summary-list__row" },
      el("dt", { class: "govuk-summary-list__key" }, label),
      el("dd", { class: "govuk-summary-list__value" }, value)));
  };

  row("When", ukWhen(entry.occurred_at) + (entry.date_uncertain ? " (date not certain)" : ""));
  row("Agency", agencyInWords(entry.agency));
  row("Recorded by", entry.recorded_by);
  row("Known", knownWhen(entry.known_at).replace(/^known /, ""));
  row("Significance", SIGNIFICANCE[entry.significance] || entry.significance);
  row("Summary", entry.summary);
  if ((entry.subjects || []).length) row("About", valueOf(entry.subjects, "person", helpers));

  const known = new Set();
  for (const [name, label, how] of FIELDS[entry.type] || []) {
    known.add(name);
    if (how === "words") continue; // shown above, as the child said them
    row(label, valueOf(data[name], how, helpers));
  }
  // Fields this page does not know by name yet are still shown, never hidden.
  for (const [name, value] of Object.entries(data)) {
    if (!known.has(name)) row(labelOf(name), valueOf(value, undefined, helpers));
  }

  row("Impact", entry.impact);
  row("Action taken", entry.action);
  if (entry.recorded_while_closed) row("Recorded while the case was closed", "Yes");
  const retraction = (entry.amendments || []).find((a) => a.type === "entry_retracted");
  if (entry.retracted || retraction) {
    row("Retracted", retraction && retraction.reason ? `Yes: ${retraction.reason}` : "Yes");
  }
  whole.append(list);

  const amendments = entry.amendments || [];
  if (amendments.length) {
    whole.append(el("h3", { class: "govuk-heading-s" }, "History"));
    const history = el("ol", { class: "govuk-list history" });
    for (const amendment of amendments) {
      history.append(describeAmendment({ ...amendment, target_type: entry.type }, helpers));
    }
    whole.append(history);
  }
  return whole;
}

function describeAmendment(amendment, helpers) {
  const { el } = helpers;
  const verb = { entry_corrected: "Corrected", entry_retracted: "Retracted",
    marked_significant: "Marked" }[amendment.type] || typeInWords(amendment.type);
  const who = [amendment.recorded_by, amendment.agency ? `(${agencyInWords(amendment.agency)})` : ""]
    .filter(Boolean).join(" ");
  const item = el("li", { class: "amendment" },
    el("p", { class: "govuk-body-s govuk-!-margin-bottom-1" }, `${verb} by ${who}, ${knownWhen(amendment.known_at)}`));
  if (amendment.reason) item.append(el("p", { class: "govuk-body-s govuk-!-margin-bottom-1" }, `Reason: ${amendment.reason}`));
  const changes = el("dl", { class: "govuk-summary-list govuk-summary-list--no-border changes" });
  for (const [label, was, now] of changedFields(amendment, helpers)) {
    changes.append(el("div", { class: "govuk-summary-list__row" },
      el("dt", { class: "govuk-summary-list__key" }, label),
      el("dd", { class: "govuk-summary-list__value" },
        el("span", { class: "was" }, "was ", was), el("br"), el("span", { class: "now" }, "now ", now))));
  }
  if (changes.childElementCount) item.append(changes);
  return item;
}

function knownWhen(value) {
  // "known from 1 February 2024, 09:00", or "known by the end of 15 February 2024" for a source
  // that gave only the date.
  const when = ukWhen(value);
  return when.startsWith("by the end of") ? `known ${when}` : `known from ${when}`;
}

function changedFields(amendment, helpers) {
  // Each changed field as [label, was, now], from what the correction set and what it replaced.
  const previous = amendment.previous || {};
  const changes = amendment.changes || {};
  const rows = [];
  const nothing = () => "nothing recorded";
  const shown = (value, how) => {
    if (value === null || value === undefined || value === "") return nothing();
    return valueOf(value, how, helpers);
  };
  for (const name of Object.keys({ ...previous, ...changes })) {
    if (name === "data") continue;
    const [label, how] = ENTRY_FIELDS[name] || [labelOf(name)];
    rows.push([label, shown(previous[name], how), shown(changes[name], how)]);
  }
  const before = previous.data || {};
  const after = changes.data || {};
  const fields = FIELDS[amendment.target_type] || [];
  for (const name of Object.keys({ ...before, ...after })) {
    const [label, how] = dataField(name, fields);
    rows.push([label, shown(before[name], how), shown(after[name], how)]);
  }
  return rows;
}

function dataField(name, fields) {
  // A data field's label and way of showing: the entry's own type first, then any type's.
  const field = fields.find(([known]) => known === name)
    || Object.values(FIELDS).flat().find(([known]) => known === name);
  if (!field) return [labelOf(name), undefined];
  return [field[1], field[2] === "words" ? undefined : field[2]];
}

function valueOf(value, how, helpers) {
  // One recorded value as a text or a node: lists as lists, codes in words, entries as links.
  const { el } = helpers;
  if (value === null || value === undefined || value === "") return null;
  if (how === "entries" || how === "entry") {
    const ids = Array.isArray(value) ? value : [value];
    const links = ids.map((id) => entryLink(id, helpers));
    return links.length === 1 && how === "entry" ? links[0] : el("ul", { class: "govuk-list" }, ...links.map((l) => el("li", {}, l)));
  }
  if (Array.isArray(value)) {
    const items = value.map((one) => valueOf(one, how === "list" ? undefined : how, helpers));
    if (items.length === 1 && how !== "list") return items[0];
    return el("ul", { class: "govuk-list govuk-list--bullet" }, ...items.map((one) => el("li", {}, one)));
  }
  if (how === "yesno" || typeof value === "boolean") return value ? "Yes" : "No";
  if (how === "date") return ukWhen(value);
  if (how === "agency" || how === "agencies") return agencyInWords(value);
  if (how === "person") return helpers.personName ? helpers.personName(value) : String(value);
  if (typeof how === "function") return how(value);
  if (typeof value === "object") {
    return Object.entries(value).map(([name, one]) => {
      const shownOne = valueOf(one, undefined, helpers);
      return `${labelOf(name)}: ${shownOne instanceof Node ? shownOne.textContent : shownOne}`;
    }).join("; ");
  }
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value)) return ukWhen(value);
  return String(value);
}

function entryLink(id, { el, entryById, choose, headline }) {
  // An entry named by id opens in this panel; one this view does not hold is said so.
  const named = entryById ? entryById(id) : null;
  if (!named) return el("span", { class: "not-in-view" }, "An entry not in this view");
  return el("a", { href: `#row-${id}`, class: "govuk-link", dataset: { eventId: id },
    onclick: (event) => { event.preventDefault(); choose(id); } },
  `${ukWhen(named.occurred_at)} · ${agencyInWords(named.agency)} · ${headline(named)}`);
}

// ---------------------------------------------------------------- allocations

export const ALLOCATION_TYPES = ["worker_allocated", "worker_unallocated"];

// The workers holding the case: each allocation not undone by a later unallocation of the same
// worker by the same agency, in the order recorded (as the API's "My cases" reads them).
export function currentAllocations(entries) {
  const held = new Map();
  const recorded = [...entries].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  for (const entry of recorded) {
    const worker = entry.data?.worker;
    if (!ALLOCATION_TYPES.includes(entry.type) || !worker) continue;
    const key = `${entry.agency} ${worker}`;
    if (entry.type === "worker_allocated") {
      held.set(key, { ...entry.data, agency: entry.agency, since: entry.occurred_at, by: entry.recorded_by });
    } else {
      held.delete(key);
    }
  }
  return [...held.values()];
}

// "sw-jones (Social worker, Child protection team)".
export function allocationInWords(held) {
  const about = [held.role, held.team].filter(Boolean).join(", ");
  return about ? `${held.worker} (${about})` : held.worker;
}

// An oversight's view in words: "Agree with changes".
export function viewInWords(view) {
  return OVERSIGHT_VIEW[view] || String(view || "").replaceAll("_", " ");
}

export { agencyInWords };
