"""The GitHub workflows run the README's test command, and only a tested commit is published."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_the_test_workflow_runs_the_ci_script_on_every_push_and_pull_request() -> None:
    wf = _load("test.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    (job,) = wf["jobs"].values()
    assert job["timeout-minutes"] <= 90
    runs = [step.get("run", "") for step in job["steps"]]
    assert "bash .ci/run" in runs, runs
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("actions/checkout@") for u in uses)
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    # torch's CPU wheel, never PyPI's CUDA build; a browser the tests can drive.
    assert job["env"]["PIP_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert job["env"]["CHROMIUM"]
    # the grading sandbox: bubblewrap, with user namespaces allowed (Ubuntu 24.04 restricts them)
    setup = "\n".join(runs)
    assert "apt-get install -y -qq bubblewrap" in setup
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in setup


def test_the_ci_script_is_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.strip().splitlines()[-1] == "exec make test"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme.split("\n## ")[0], "the README starts with the test command"


def test_the_book_is_published_only_after_the_tests_passed_on_main() -> None:
    wf = _load("pages.yml")
    trigger = wf["on"]
    assert set(trigger) == {"workflow_run"}, "publishing must not start on its own"
    assert trigger["workflow_run"]["workflows"] == [_load("test.yml")["name"]]
    assert trigger["workflow_run"]["branches"] == ["main"]
    build = wf["jobs"]["build"]
    assert "conclusion == 'success'" in build["if"]
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}", "publish the tested commit"
    assert wf["jobs"]["deploy"]["needs"] == "build"


def _lint(path: Path) -> subprocess.CompletedProcess:
    linter = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run([str(linter), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, check=False)


def test_the_workflow_linter_passes_ours_and_rejects_a_broken_workflow(tmp_path) -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        result = _lint(path)
        assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    text = (WORKFLOWS / "test.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("runs-on:", "run-on:", 1), encoding="utf-8")
    result = _lint(broken)
    assert result.returncode != 0
    assert "run-on" in result.stdout + result.stderr
