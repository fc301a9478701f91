"""The weekly refresh: ``python -m tokenrace refresh`` (``make refresh``; the refresh workflow).

In the checkout ``root`` (the current folder), in this order:

1. **Plan.** The range ends on the last Sunday before ``today`` (UTC) and spans ``weeks`` whole
   weeks (default 52); ``--start`` and ``--end`` override it. If the snapshot in use
   (``snapshot.yml``) already has the range's last week, there is nothing new: the command says
   so, writes no pull-request body and exits 0.
2. **Fetch** the range from OpenRouter (``$OPENROUTER_API_KEY``, read by
:mod:`tokenrace.sources.fetch`
   only) into a new folder ``snapshots/END/``; authors come from the snapshot in use, and models
   the models API no longer lists are counted in ``other`` (recorded in ``datapackage.json``).
3. **Validate** it against the data contract.
4. **Point** ``snapshot.yml`` at it: the one setting the pull request changes.
5. **Build** the book on it, strictly, with the key removed from the build's environment.
6. **Diff** the old snapshot against the new one (:mod:`tokenrace.diff`) into
   ``OUT/pr-body.md``, the pull request's body, with its title in ``OUT/pr-title.txt``; with
   ``$GITHUB_OUTPUT`` set, also the step outputs ``snapshot``, ``branch`` and ``title``.

Nothing here pushes, commits or opens the pull request: the workflow does that, on a branch
``refresh/END``. Every failure ends with one message and exit 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tokenrace.snapshot.paths import DATA_ENV_VAR, SETTING_FILE, snapshot_dir, write_setting

#: Weeks a refreshed snapshot spans, unless ``--start`` is given.
DEFAULT_WEEKS = 52
#: Where new snapshots go, under the checkout.
SNAPSHOTS_DIR = "snapshots"
#: The environment variables never handed to the book build (the fetch's secret).
SECRET_ENV = ("OPENROUTER_API_KEY",)


class RefreshError(RuntimeError):
    """A step of the refresh failed; the message says which and what to do."""


@dataclass(frozen=True)
class Plan:
    """The days to fetch (UTC, both included) and the folder to write."""

    start: date
    end: date
    out: Path

    @property
    def last_week(self) -> date:
        """The Monday of the range's last whole (Monday-to-Sunday) week."""
        sunday = self.end if self.end.weekday() == 6 else last_sunday(self.end)
        return sunday - timedelta(days=6)


def last_sunday(today: date) -> date:
    """The last Sunday strictly before ``today`` (the last day of the last complete week)."""
    return today - timedelta(days=today.weekday() + 1)


def plan(
    root: Path,
    today: date,
    start: date | None = None,
    end: date | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> Plan:
    """The range to fetch: ``weeks`` whole weeks up to the last Sunday before ``today``."""
    end = end or last_sunday(today)
    start = start or end - timedelta(days=7 * weeks - 1)
    if start > end:
        raise RefreshError(f"refresh: the range {start}..{end} is empty")
    return Plan(start, end, root / SNAPSHOTS_DIR / f"{end:%Y-%m-%d}")


def _build(root: Path, log: Callable[[str], None]) -> None:
    """The strict book build of ``root`` on the snapshot its ``snapshot.yml`` names."""
    env = {k: v for k, v in os.environ.items() if k not in (*SECRET_ENV, DATA_ENV_VAR)}
    jb = Path(sys.executable).parent / "jupyter-book"
    log(f"refresh: building the book on {SETTING_FILE}'s snapshot (strict)")
    done = subprocess.run(
        [str(jb), "build", ".", "-W", "-n", "--keep-going"],
        cwd=root,
        env=env,
        stdout=sys.stderr,
        stderr=sys.stderr,
        check=False,
    )
    if done.returncode != 0:
        raise RefreshError(
            f"refresh: the book does not build on the new snapshot (jupyter-book exit "
            f"{done.returncode}; its log is above); no pull-request body was written"
        )


def run(
    root: Path,
    out_dir: Path,
    *,
    today: date | None = None,
    start: date | None = None,
    end: date | None = None,
    weeks: int = DEFAULT_WEEKS,
    build: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> Path | None:
    """Run the refresh in checkout ``root``; returns the pull-request body, or None when there
    are no new weeks. Raises :class:`RefreshError` (fetch and contract problems included)."""
    from tokenrace import diff
    from tokenrace.snapshot.load import SnapshotError, check_snapshot, load_snapshot, problem_report
    from tokenrace.sources.fetch import FetchError, FetchSettings, fetch_snapshot

    root = root.resolve()
    today = today or datetime.now(UTC).date()
    try:
        old = load_snapshot(snapshot_dir(root=root))
    except SnapshotError as err:
        raise RefreshError(f"refresh: the snapshot in use is invalid: {err}") from None
    the_plan = plan(root, today, start, end, weeks)
    if old.weeks[-1].date() >= the_plan.last_week:
        log(
            f"refresh: no new weeks: {old.path} already ends with the week of "
            f"{old.weeks[-1]:%Y-%m-%d}; nothing to do"
        )
        return None
    log(f"refresh: fetching {the_plan.start}..{the_plan.end} into {the_plan.out}")
    try:
        fetched = fetch_snapshot(
            the_plan.start,
            the_plan.end,
            the_plan.out,
            settings=FetchSettings.from_env(),
            authors=old.path / "authors.csv",
            fold_unlisted=True,
            log=log,
        )
    except FetchError as err:
        raise RefreshError(f"fetch: {err}") from None
    problems = check_snapshot(fetched.path)
    if problems:
        raise RefreshError(problem_report(fetched.path, problems, "the refresh stopped"))
    write_setting(fetched.path, root)
    log(f"refresh: {SETTING_FILE} now names {fetched.path.relative_to(root)}")
    if build:
        _build(root, log)
    new = load_snapshot(fetched.path)
    body = diff.to_markdown(diff.compare(old, new, relative_to=root))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "pr-body.md").write_text(body, encoding="utf-8")
    name = f"{the_plan.end:%Y-%m-%d}"
    title = f"Data refresh: OpenRouter snapshot as of {new.as_of} (to {name})"
    (out_dir / "pr-title.txt").write_text(title + "\n", encoding="utf-8")
    outputs = os.environ.get("GITHUB_OUTPUT")
    if outputs:
        with open(outputs, "a", encoding="utf-8") as handle:
            handle.write(
                f"snapshot={fetched.path.relative_to(root)}\nbranch=refresh/{name}\ntitle={title}\n"
            )
    log(f"refresh: wrote {out_dir / 'pr-body.md'}")
    return out_dir / "pr-body.md"
