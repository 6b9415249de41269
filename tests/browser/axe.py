"""The browser tests' accessibility check: axe-core (vendored) on the page or one part of it,
and its serious and critical violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = {"serious", "critical"}

# WCAG 2.2 A and AA and axe's best practices. The page's own CSP forbids inline scripts, so axe
# is evaluated through the browser's debugging protocol (page.evaluate), which the policy does
# not govern, instead of as an injected <script>.
RUN_AXE = """async (within) => {
  const results = await axe.run(within ? document.querySelector(within) : document, {
    runOnly: {
      type: "tag",
      values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


def serious_violations(page: Any, within: str | None = None) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page, or inside the `within` selector."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    assert page.evaluate("typeof window.axe.run") == "function"
    return [v for v in page.evaluate(RUN_AXE, within) if v["impact"] in SERIOUS]
