"""A statutory return's completeness report, printed as a table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from replay.cin_census import CompletenessIssue


def print_issues(issues: tuple[CompletenessIssue, ...]) -> None:
    """One row per fact to correct or add: the rule, case, person, field, what and events."""
    table = Table(title=f"Completeness: {len(issues)} fact(s) to correct or add")
    for column in ("DfE rule", "case", "person", "field", "what", "events"):
        table.add_column(column, overflow="fold")
    for issue in issues:
        table.add_row(
            issue.rule or "",
            issue.case_id or "",
            issue.person_id,
            issue.field,
            issue.message,
            " ".join(str(event_id) for event_id in issue.event_ids),
        )
    Console().print(table)
