// People and relationships on the case page: the forms that add them and the genogram that
// draws them. Lives in #people.

export function setUpPeople({ caseId, me, token, refresh }) {
  const place = document.getElementById("people");
  if (!place) return;
  void caseId; void me; void token; void refresh;
}
