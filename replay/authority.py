"""Authority-wide questions answered from the read models, across every case, as known at T."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Engine

from events.timepoints import local_date, utc_now
from projections import tables
from replay.queries import holds_at


class ChildOnPlan(BaseModel):
    """One child named by a plan that was active on a date, as the record knew it at a time."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    case_id: str
    plan_id: str
    kind: str
    category: str | None
    started_on: date
    ended_on: date | None


class AuthorityQueries:
    """Questions about the whole authority's caseload (for managers, reviewers, returns)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def children_on_plans(
        self,
        *,
        kind: str = "child_protection",
        on: date | None = None,
        as_known_at: datetime | None = None,
    ) -> list[ChildOnPlan]:
        """Every child on a plan of `kind` on date D (a plan ending on D is active on D), as
        known at T."""
        on = on or local_date(utc_now())
        periods, subjects = tables.plan_periods, tables.plan_subjects
        statement = (
            select(subjects.c.person_id, periods)
            .join(
                subjects,
                and_(
                    subjects.c.case_id == periods.c.case_id,
                    subjects.c.plan_id == periods.c.plan_id,
                    subjects.c.known_from == periods.c.known_from,
                ),
            )
            .where(
                periods.c.kind == kind,
                periods.c.started_on <= on,
                or_(periods.c.ended_on.is_(None), periods.c.ended_on >= on),
                holds_at(periods, as_known_at),
            )
            .order_by(subjects.c.person_id, periods.c.case_id, periods.c.plan_id)
        )
        with self.engine.connect() as connection:
            return [
                ChildOnPlan(
                    person_id=row.person_id,
                    case_id=row.case_id,
                    plan_id=row.plan_id,
                    kind=row.kind,
                    category=(row.plan or {}).get("category"),
                    started_on=row.started_on,
                    ended_on=row.ended_on,
                )
                for row in connection.execute(statement)
            ]
