// The DfE SSDA903 (looked-after children) codes the record keeps, in plain words, the code
// kept beside the words for those who know it. One list serves the recording forms
// (recording.js) and the panel's words (describe.js). The lists are the vocabulary's
// (docs/recording.md); a code newer than the words here is still shown, as its code.

// Legal status (LS).
export const LEGAL_STATUS = {
  C1: "Interim care order",
  C2: "Full care order",
  D1: "Freeing order granted",
  E1: "Placement order granted",
  J1: "Remanded to local authority or youth detention accommodation",
  J2: "Placed in local authority accommodation under PACE",
  J3: "Sentenced to a youth rehabilitation order with a residence or fostering requirement",
  L1: "Under police protection and in local authority accommodation",
  L2: "Emergency protection order",
  L3: "Child assessment order and in local authority accommodation",
  V2: "Single period of accommodation under section 20",
  V3: "Short breaks under an agreed series, episodes recorded",
  V4: "Short breaks under an agreed series, agreements recorded",
};

// Placement type (PL). K3 and Z11 to Z14 are newer than the words this page knows: their
// meanings are in the DfE's SSDA903 guide for the year, so they are offered by their code.
export const PLACEMENT_TYPE = {
  U1: "Foster placement with a relative or friend, long term",
  U2: "Foster placement with a relative or friend, fostering for adoption",
  U3: "Foster placement with a relative or friend, not long term or fostering for adoption",
  U4: "Foster placement with another foster carer, long term",
  U5: "Foster placement with another foster carer, fostering for adoption",
  U6: "Foster placement with another foster carer, not long term or fostering for adoption",
  A3: "Placed for adoption with consent, with the current foster carer",
  A4: "Placed for adoption with consent, not with the current foster carer",
  A5: "Placed for adoption under a placement order, with the current foster carer",
  A6: "Placed for adoption under a placement order, not with the current foster carer",
  P1: "Placed with parents or others with parental responsibility",
  P3: "Residential employment",
  K1: "Secure children's home",
  K2: "Children's home",
  K3: "Placement type K3 (see the SSDA903 guide)",
  R1: "Residential care home",
  R2: "NHS or health trust establishment",
  R3: "Family centre or mother and baby unit",
  R5: "Young offender institution or prison",
  S1: "Residential school",
  T0: "Temporary placement",
  T1: "Temporary placement: hospital",
  T2: "Temporary placement: holiday",
  T3: "Temporary placement: while the carer is on holiday",
  T4: "Temporary placement: seven days or less",
  Z11: "Placement type Z11 (see the SSDA903 guide)",
  Z12: "Placement type Z12 (see the SSDA903 guide)",
  Z13: "Placement type Z13 (see the SSDA903 guide)",
  Z14: "Placement type Z14 (see the SSDA903 guide)",
};

// Placement provider (PLACE_PROVIDER).
export const PLACEMENT_PROVIDER = {
  PR0: "Parents or others with parental responsibility",
  PR1: "The local authority's own provision",
  PR2: "Another local authority's provision",
  PR3: "Other public provision",
  PR4: "Private provision",
  PR5: "Voluntary or third sector provision",
};

// Reason for new episode (RNE): why the placement began an episode of care.
export const EPISODE_START_REASON = {
  S: "Started to be looked after",
  L: "Change of legal status only",
  P: "Change of placement and carer only",
  T: "Change of legal status, placement and carer at the same time",
  U: "Change of legal status and placement at the same time, the carer staying the same",
  B: "Change of placement, the carer staying the same",
};

// Reason for placement change (REASON_PLACE_CHANGE).
export const PLACEMENT_CHANGE_REASON = {
  CARPL: "Change to, or carrying out of, the care plan",
  CLOSE: "The provider resigned or the placement closed",
  ALLEG: "An allegation was made (section 47)",
  STAND: "Concern about the standard of care",
  APPRR: "The carer's approval was removed",
  CREQB: "The carer asked for it to end because of the child's behaviour",
  CREQO: "The carer asked for it to end for another reason",
  CHILD: "The child asked for it to end",
  LAREQ: "The responsible authority asked for it to end",
  PLACE: "Change in the status of the placement only",
  CUSTOD: "Custody arrangement",
  OTHER: "Other",
};

// Reason episode ceased (REC). X1: the episode ends but the child stays looked after.
export const EPISODE_END_REASON = {
  X1: "Placement changed: the child stays looked after",
  E11: "Adopted: application unopposed",
  E12: "Adopted: consent dispensed with",
  E2: "Died",
  E3: "Care taken by another local authority",
  E4A: "Returned home to parents or relatives, as planned",
  E4B: "Returned home to parents or relatives, not as planned",
  E13: "Left care to live with parents, relatives or others without parental responsibility",
  E41: "Residence order (child arrangements order) granted",
  E45: "Special guardianship order: former foster carer, a relative or friend",
  E46: "Special guardianship order: former foster carer, other",
  E47: "Special guardianship order: a relative or friend, not the former foster carer",
  E48: "Special guardianship order: other",
  E5: "Moved into independent living, with support",
  E6: "Moved into independent living, without support",
  E7: "Transferred to residential care funded by adult social services",
  E8: "Care ceased for any other reason",
  E9: "Sentenced to custody",
  E14: "Accommodation on remand ended",
  E15: "Age assessment found the child was 18 or over",
  E16: "Child moved abroad",
  E17: "Aged 18 or over and stayed with the current carers",
};

export const MISSING_KIND = { missing: "Missing", away: "Away without authorisation" };
export const EMERGENCY_PROTECTION_KIND = { police_protection: "Police protection", epo: "Emergency protection order" };

// A code in words with its code: "Full care order (C2)"; one this page has no words for, as is.
export function codeInWords(table) {
  return (code) => {
    const words = table[code];
    if (!words) return String(code);
    return words.includes(`(${code}`) || words.includes(` ${code} `) ? words : `${words} (${code})`;
  };
}

// [[code, words (code)]] for a select or radios.
export function codeOptions(table) {
  const say = codeInWords(table);
  return Object.keys(table).map((code) => [code, say(code)]);
}

// The words below are those of the vocabulary's code lists (events/codes.py), which follow the
// DfE's SSDA903 guide; a code whose meaning they do not give is offered by its code.

// Why a child has no unique pupil number (UPN). UN1 to UN5 are the SSDA903's; UN6 to UN10 are
// the CIN census's own, and their meanings are in its guide.
export const UPN_UNKNOWN_REASON = {
  UN1: "Under 6 and not at school",
  UN2: "Never attended a maintained school in England",
  UN3: "Educated outside England",
  UN4: "Newly looked after: the UPN not yet obtained",
  UN5: "The sources that collate UPNs disagree",
  UN6: "Code UN6 (see the CIN census guide)",
  UN7: "Code UN7 (see the CIN census guide)",
  UN8: "Code UN8 (see the CIN census guide)",
  UN9: "Code UN9 (see the CIN census guide)",
  UN10: "Code UN10 (see the CIN census guide)",
};

// Reason for a change of social worker (SW_REASON).
export const SOCIAL_WORKER_CHANGE_REASON = {
  MANAGE: "Management decision",
  FCONTA: "First contact with the child",
  LEFTRL: "The worker left the role",
  ORGRST: "Organisational restructure",
  TSPROC: "Transfer between teams or processes",
  ABSENC: "The worker's absence",
  CHCHAN: "The child asked for a change",
  PCCHAN: "The parent or carer asked for a change",
  SWDIED: "The worker died",
  OTHERS: "Other",
};

// How the child took part in a looked-after child's review (REVIEW_CODE).
export const REVIEW_PARTICIPATION = {
  PN0: "The child was under 4",
  PN1: "In person, speaking for themselves",
  PN2: "An advocate spoke for them",
  PN3: "Views conveyed without words (symbolically)",
  PN4: "Someone else gave a briefing of their views",
  PN5: "Views sent in writing or another way",
  PN6: "No views given",
  PN7: "Did not take part at all",
};

// Previous permanence (PREV_PERM) before this period of care. Z1: none, or not known.
export const PREVIOUS_PERMANENCE = {
  P1: "Adoption",
  P2: "Special guardianship order",
  P3: "Residence order or child arrangements order (with whom the child lives)",
  P4: "Code P4 (see the SSDA903 guide)",
  Z1: "None, or not known",
};
