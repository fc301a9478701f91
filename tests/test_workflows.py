"""The GitHub workflows under .github/workflows/, checked offline.

``make test`` runs the same two tools first (``make lint-workflows``): the GitHub workflow schema
(vendored in check-jsonschema) and zizmor's security audits with no finding of medium or high
severity. These tests also check what each workflow must do, and that the checks can fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tokenrace.snapshot.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
NAMES = ("test", "publish", "refresh")
_SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def schema_check(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def zizmor(folder: Path) -> subprocess.CompletedProcess:
    """zizmor on a workflows folder or one workflow file; exit 0 when nothing is found."""
    return subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--min-severity", "medium", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_three_workflows_exist() -> None:
    assert sorted(p.stem for p in WORKFLOWS.glob("*.yml")) == sorted(NAMES)


def test_workflows_match_the_github_schema() -> None:
    done = schema_check(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_offline_finds_nothing_medium_or_high() -> None:
    done = zizmor(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A misspelt key breaks the schema; a secret in a script and an unpinned action are found."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: [push]\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n"
    )
    assert schema_check(bad).returncode != 0
    risky = tmp_path / "risky.yml"
    risky.write_text(
        "name: risky\non: [pull_request_target]\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v5\n        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    done = zizmor(risky)
    assert done.returncode != 0
    for audit in ("template-injection", "dangerous-triggers", "unpinned-uses", "artipacked"):
        assert audit in done.stdout, audit


def test_make_test_runs_the_checks() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "lint-workflows" in recipe
    lint = makefile.split("\nlint-workflows:", 1)[1].split("\n\n", 1)[0]
    assert "check-jsonschema --builtin-schema vendor.github-workflows" in lint
    assert "zizmor --offline --min-severity medium" in lint
    assert "lint-imports" in recipe  # the stages import downward only (ARCHITECTURE.md)
    pins = (REPO_ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert any(re.fullmatch(r"check-jsonschema==[\d.]+", line) for line in pins)
    assert any(re.fullmatch(r"zizmor==[\d.]+", line) for line in pins)
    assert not any(line.startswith("actionlint") for line in pins)


@pytest.mark.parametrize("name", NAMES)
def test_actions_are_pinned_by_commit_and_credentials_not_kept(name: str) -> None:
    workflow = load(name)
    for step in steps(workflow):
        if "uses" in step:
            assert _SHA_PIN.match(step["uses"]), step["uses"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
    assert "permissions" in workflow


def test_test_workflow_runs_make_test_on_debian() -> None:
    workflow = load("test")
    assert set(workflow["on"]) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    assert job["container"].startswith("python:3.11-bookworm")  # Debian 12, Python 3.11
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert any("bash .ci/run" in r for r in runs)
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
    system_deps = (REPO_ROOT / "Makefile").read_text().split("\nsystem-deps:", 1)[1]
    assert "apt-get install -y chromium" in system_deps.split("\n\n", 1)[0]


def test_publish_workflow_deploys_the_book_with_githubs_pages_actions() -> None:
    workflow = load("publish")
    assert workflow["on"]["push"]["branches"] == ["main"]
    uses = [s["uses"].split("@")[0] for s in steps(workflow) if "uses" in s]
    for action in (
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ):
        assert action in uses
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert any(s.get("run") == "make pdf" for s in build["steps"])  # the site, PDF linked
    assert build["container"].startswith("python:3.11-bookworm")  # Debian's chromium prints it
    upload = next(s for s in build["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert build["permissions"] == {"contents": "read"}
    assert deploy["environment"]["name"] == "github-pages"
    assert workflow["permissions"] == {}


def test_refresh_workflow_keeps_the_key_in_one_step_and_never_pushes_to_main() -> None:
    workflow = load("refresh")
    assert "schedule" in workflow["on"] and "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    text = (WORKFLOWS / "refresh.yml").read_text(encoding="utf-8")
    assert text.count("secrets.OPENROUTER_API_KEY") == 1
    with_key = [s for s in job["steps"] if "OPENROUTER_API_KEY" in str(s.get("env", {}))]
    assert len(with_key) == 1 and with_key[0]["run"] == "make refresh"
    assert "secrets." not in str(with_key[0]["run"])
    opener = job["steps"][-1]
    assert (
        "gh pr create" in opener["run"] and "--body-file _build/refresh/pr-body.md" in opener["run"]
    )
    assert "HEAD:refs/heads/$BRANCH" in opener["run"] and "refresh/*" in opener["run"]
    assert "main" not in opener["run"] and "set -x" not in text
    assert "OPENROUTER_API_KEY" not in str(opener.get("env", {}))
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "python -m tokenrace refresh" in makefile.split("\nrefresh:", 1)[1].split("\n\n", 1)[0]


def test_refresh_workflow_commits_only_the_setting_and_the_new_snapshot() -> None:
    run = load("refresh")["jobs"]["refresh"]["steps"][-1]["run"]
    assert 'git add snapshot.yml "$SNAPSHOT"' in run
