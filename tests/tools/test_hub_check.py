"""`make hub-check`'s pieces, without starting the hub (that is `make hub-check`, outside `make test`):
its own locks pin everything, its JupyterLab matches the course's, the temporary book configuration
turns the JupyterHub button on while the published one keeps it off, and the hub's config loads."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "tools" / "hub"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)$")


def _hub_check():
    spec = importlib.util.spec_from_file_location("hub_check", HUB / "hub_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"{path.name}: not an exact pin: {line!r}"
            pins[_norm(match[1])] = match[2]
    return pins


def test_hub_lock_pins_every_package_exactly() -> None:
    lock = _pins(HUB / "requirements.txt")
    for name in ("jupyterhub", "jupyterlab", "nbgitpuller", "jupyter-server", "sqlalchemy", "pamela"):
        assert name in lock, f"{name} missing from tools/hub/requirements.txt"
    wanted = [line.split("#")[0].strip() for line in (HUB / "requirements.in").read_text().splitlines()]
    for requirement in filter(None, wanted):
        name, _, version = requirement.partition("==")
        assert _norm(name) in lock, f"{name} of requirements.in is not in the lock: run make hub-lock"
        if version:
            assert lock[_norm(name)] == version, f"{name}: lock {lock[_norm(name)]}, wanted {version}"


def test_hub_jupyterlab_matches_the_course_lock() -> None:
    """The student's JupyterLab and its extensions are the course's (widgets' front end vs the kernel's)."""
    hub, course = _pins(HUB / "requirements.txt"), {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            course[_norm(match[1])] = match[2]
    for name in ("jupyterlab", "jupyterlab-myst", "jupyterlab-widgets"):
        assert hub[name] == course[name], f"{name}: hub {hub[name]}, course {course[name]}"


def test_proxy_is_pinned_by_the_npm_lock() -> None:
    package = json.loads((HUB / "package.json").read_text())
    lock = json.loads((HUB / "package-lock.json").read_text())
    version = package["dependencies"]["configurable-http-proxy"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"configurable-http-proxy is not pinned: {version}"
    assert lock["lockfileVersion"] >= 2
    assert lock["packages"][""]["dependencies"] == package["dependencies"], "package-lock.json is stale"
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == version
    for name, entry in lock["packages"].items():
        if name:
            assert entry.get("version") and entry.get("integrity", "").startswith("sha512-"), name


def test_temporary_config_sets_the_hub_the_published_one_does_not(tmp_path) -> None:
    hub_check = _hub_check()
    published = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert not published["launch_buttons"].get("jupyterhub_url")  # tests/tools/test_launch.py too
    clone = tmp_path / "git" / "nnbasics"
    clone.mkdir(parents=True)
    (clone / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    config = hub_check.temporary_config(clone, "http://127.0.0.1:8123")
    assert config["launch_buttons"]["jupyterhub_url"] == "http://127.0.0.1:8123"
    assert config["repository"]["url"] == clone.as_uri()
    assert config["repository"]["branch"] == published["repository"]["branch"]
    assert config["sphinx"]["config"]["html_theme_options"]["repository_provider"] == "github"
    # everything else is the published book's
    for key in ("binderhub_url", "colab_url", "notebook_interface"):
        assert config["launch_buttons"][key] == published["launch_buttons"][key]
    assert config["sphinx"]["local_extensions"] == published["sphinx"]["local_extensions"]
    toc = hub_check.temporary_toc("losses")
    (chapter,) = toc["chapters"]
    files = [toc["root"], chapter["file"], *(s["file"] for s in chapter["sections"])]
    for file in files:
        assert (ROOT / f"{file}.ipynb").exists() or (ROOT / f"{file}.md").exists(), file


def test_hub_link_is_read_from_the_built_page(tmp_path) -> None:
    hub_check = _hub_check()
    link = "http://127.0.0.1:1/hub/user-redirect/git-pull?repo=file%3A///r/nnbasics&urlpath=lab/tree/x&branch=main"
    page = tmp_path / "page.html"
    page.write_text(f'<a href="https://mybinder.org/v2/x">Binder</a><a href="{link}">JupyterHub</a>')
    assert hub_check.hub_link(page) == link
    page.write_text('<a href="https://mybinder.org/v2/x">Binder</a>')
    with pytest.raises(hub_check.CheckFailed):
        hub_check.hub_link(page)


def test_the_student_answers_with_the_solutions() -> None:
    hub_check = _hub_check()
    source = nbformat.read(ROOT / "book" / "losses" / "exercises.ipynb", as_version=4)
    release = nbformat.from_dict(json.loads(json.dumps(source)))
    solution_ids = []
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "# YOUR CODE HERE\nraise NotImplementedError()"
            solution_ids.append(cell.metadata["nbgrader"]["grade_id"])
    assert solution_ids
    answered = hub_check.answered(release, source)
    for cell in answered.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in solution_ids:
            assert "NotImplementedError()" not in cell.source.splitlines()[-1]
            assert "### BEGIN SOLUTION" not in cell.source and "### END SOLUTION" not in cell.source
    with pytest.raises(hub_check.CheckFailed):  # a release without the source's solution cells
        hub_check.answered(nbformat.v4.new_notebook(), source)


def test_hub_config_loads(monkeypatch, tmp_path) -> None:
    from traitlets.config.loader import PyFileConfigLoader

    for name, value in {"DIR": str(tmp_path), "PORT": "8001", "API_PORT": "8002", "HUB_PORT": "8003",
                        "PROXY": "/x/configurable-http-proxy", "PASSWORD": "p", "TOKEN": "t",
                        "SPAWN_ENV": "JUPYTER_PATH=/k\nA=b=c"}.items():
        monkeypatch.setenv(f"NNBASICS_HUB_{name}", value)
    c = PyFileConfigLoader("jupyterhub_config.py", path=str(HUB)).load_config()
    assert c.JupyterHub.ip == c.JupyterHub.hub_ip == "127.0.0.1"
    assert (c.JupyterHub.port, c.JupyterHub.hub_port) == (8001, 8003)
    assert c.ConfigurableHTTPProxy.command == ["/x/configurable-http-proxy"]
    assert c.JupyterHub.authenticator_class == "dummy" and c.DummyAuthenticator.password == "p"
    assert c.JupyterHub.spawner_class == "simple"
    assert c.SimpleLocalProcessSpawner.home_dir_template == str(tmp_path / "home" / "{username}")
    assert Path(c.Spawner.cmd[0]).name == "jupyterhub-singleuser"
    assert "--ServerApp.allow_root=True" in c.Spawner.args
    assert c.Spawner.environment["JUPYTER_PATH"] == "/k" and c.Spawner.environment["A"] == "b=c"
    assert c.JupyterHub.services == [{"name": "hub-check", "api_token": "t"}]


def test_hub_check_is_not_part_of_make_test() -> None:
    makefile = (ROOT / "Makefile").read_text()
    test_line = re.search(r"^test:(.*)$", makefile, re.M)[1]
    assert "hub" not in test_line
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)[1].split()
    assert {"hub-check", "hub-lock"} <= set(phony)
    assert re.search(r"^hub-check: .*\$\(HUB_STAMP\)", makefile, re.M)


def _section(page: str, title: str) -> str:
    start = page.index(f"\n## {title}\n")
    return page[start:page.index("\n## ", start + 1)]


def test_the_instructors_kubernetes_config_mirrors_hub_check() -> None:
    """book/instructors.md, "A class on JupyterHub": its config.yaml parses, and its image, exchange and
    nbgrader settings are hub-check's (the section says it mirrors make hub-check)."""
    hub_check = _hub_check()
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    section = _section(page, "A class on JupyterHub")
    assert "make hub-check" in section and "untested here" in section
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    config = yaml.safe_load(block)
    single = config["singleuser"]
    assert single["defaultUrl"] == "/lab"  # as Spawner.default_url in tools/hub/jupyterhub_config.py
    assert single["cpu"]["limit"] == 2 and single["cpu"]["guarantee"] <= single["cpu"]["limit"]
    assert single["memory"]["guarantee"] == "1G" and single["memory"]["limit"] == "2G"
    mount = single["storage"]["extraVolumeMounts"][0]["mountPath"]
    nbgrader = single["extraFiles"]["nbgrader-config"]["stringData"]
    assert f'c.Exchange.root = "{mount}"' in nbgrader
    assert f'c.CourseDirectory.course_id = "{hub_check.COURSE_ID}"' in nbgrader
    (dockerfile,) = re.findall(r"```dockerfile\n(.*?)```", section, re.S)
    nbgitpuller = _pins(HUB / "requirements.txt")["nbgitpuller"]
    assert f"nbgitpuller=={nbgitpuller}" in dockerfile and "binder/requirements.txt" in dockerfile
    assert f"nbgitpuller=={nbgitpuller}" in section.split("### The Littlest JupyterHub")[1]
    for name in ("jupyterhub", "nbgitpuller", "jupyterlab"):
        version = _pins(HUB / "requirements.txt")[name]
        assert version in section, f"the section names {name} {version} of the hub's lock"
    proxy = json.loads((HUB / "package.json").read_text())["dependencies"]["configurable-http-proxy"]
    assert f"configurable-http-proxy {proxy}" in section
