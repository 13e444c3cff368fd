"""`make hub-check`: the JupyterHub path of book/instructors.md, end to end, on 127.0.0.1.

1. clone the repository (its committed HEAD) into a temporary folder: the "remote" of the launch link;
2. build the book's chapter with a temporary configuration whose ``jupyterhub_url`` is the local hub
   and whose ``repository: url`` is that clone (the published ``_config.yml`` keeps the button off);
3. start a real JupyterHub (tools/hub/jupyterhub_config.py: SimpleLocalProcessSpawner,
   DummyAuthenticator, configurable-http-proxy from npm), its single-user servers running JupyterLab
   from the hub's venv with the course's kernel (.venv) as kernelspec ``python3``;
4. in Chromium, log in as a student through the hub's form and open the exact href of the built
   page's JupyterHub button: nbgitpuller clones the repository into the student's home and JupyterLab
   opens the chapter;
5. check through the server's API (the hub proxies it; the check's service token) that the kernel
   JupyterLab started for the chapter is the course's Python; then, in JupyterLab's menus, clear
   every output, Run All Cells and save: the saved notebook has every code cell run in order, no
   error, and no output from the launch cell, which left no trace of its install branch;
6. the instructor releases the chapter's exercises with nbgrader's exchange; the student fetches them,
   answers (the solutions), and submits from a kernel on the student's server; the instructor
   collects, autogrades with stock nbgrader and exports the grades: full marks.

Each step prints its time; every process started is stopped; any failure exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHAPTER = "losses"  # small: the chapter runs in about 10 s, its exercises in about 6 s
STUDENT = "student"
BLANK = "blank-release"  # a second submission: the untouched release
KERNEL_NAME = "Python 3 (nnbasics course)"
COURSE_ID = "nnbasics"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
CELL_TIMEOUT = 180.0


class CheckFailed(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class Steps:
    """Print each step with the time since the start and its own duration."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.times: list[tuple[str, float]] = []

    @contextmanager
    def __call__(self, name: str):
        began = time.monotonic()
        print(f"[{began - self.start:6.1f} s] {name} ...", flush=True)
        yield
        took = time.monotonic() - began
        self.times.append((name, took))
        print(f"[{time.monotonic() - self.start:6.1f} s]   ok ({took:.1f} s)", flush=True)


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    # nbgrader runs `alembic` and `jupyter` from PATH: the course's, also when not run by make.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    kwargs["env"] = {**kwargs.get("env", os.environ), "PATH": path}
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise CheckFailed(f"{' '.join(map(str, cmd))} exited {result.returncode}:\n"
                          f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


# --- The book with the hub's launch button ---------------------------------------------------------


def temporary_config(clone: Path, hub_url: str) -> dict:
    """The clone's _config.yml with the JupyterHub button on and the repository set to the clone."""
    import yaml

    config = yaml.safe_load((clone / "_config.yml").read_text())
    config["launch_buttons"]["jupyterhub_url"] = hub_url
    config["repository"]["url"] = clone.as_uri()
    # sphinx-book-theme infers the provider from the host name (GitHub, GitLab, Bitbucket only);
    # a file:// URL has none, so name one (it only shapes the repository and Colab links).
    config["sphinx"]["config"].setdefault("html_theme_options", {})["repository_provider"] = "github"
    return config


def temporary_toc(chapter: str) -> dict:
    """The book's root page and one chapter with its exercises: the build takes seconds, not minutes."""
    sections = [{"file": f"book/{chapter}/exercises"}]
    return {"format": "jb-book", "root": "book/intro",
            "chapters": [{"file": f"book/{chapter}/{chapter}", "sections": sections}]}


def hub_link(html: Path) -> str:
    """The href of the page's JupyterHub launch button (exactly one)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text(), "html.parser")
    links = [a["href"] for a in soup.find_all("a", href=True) if "/hub/user-redirect/git-pull?" in a["href"]]
    check(len(links) == 1, f"{html}: expected one JupyterHub launch button, found {links}")
    return links[0]


# --- The hub's and the student's server's HTTP APIs -------------------------------------------------


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base.rstrip("/"), token

    def request(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def get(self, path: str) -> object:
        return self.request("GET", path)


async def _execute(ws_url: str, token: str, codes: list[str], timeout: float) -> list[dict]:
    """Run each code in turn on a kernel (its websocket); return per code its outputs and status."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    request = HTTPRequest(ws_url, headers={"Authorization": f"token {token}"})
    conn = await websocket_connect(request)
    session = uuid.uuid4().hex
    results = []
    try:
        for code in codes:
            msg_id = uuid.uuid4().hex
            await conn.write_message(json.dumps({
                "header": {"msg_id": msg_id, "username": STUDENT, "session": session,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
            }))
            outputs, status, idle = [], None, False
            deadline = time.monotonic() + timeout
            while status is None or not idle:
                left = deadline - time.monotonic()
                check(left > 0, f"no reply within {timeout:.0f} s to:\n{code[:500]}")
                raw = await asyncio.wait_for(conn.read_message(), left)
                check(raw is not None, "the kernel's websocket closed")
                if not isinstance(raw, str):
                    continue  # binary frames (buffers) carry nothing checked here
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if msg["channel"] == "shell" and kind == "execute_reply":
                    status = msg["content"]["status"]
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
                elif kind in ("stream", "display_data", "execute_result", "error"):
                    outputs.append({"type": kind, **msg["content"]})
            results.append({"status": status, "outputs": outputs})
            if status != "ok":
                break
    finally:
        conn.close()
    return results


def execute(server: str, token: str, kernel_id: str, codes: list[str], timeout: float = CELL_TIMEOUT):
    ws = server.replace("http://", "ws://", 1) + f"/api/kernels/{kernel_id}/channels"
    # In a thread of its own: its event loop stays apart from the one of Playwright's sync API.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _execute(ws, token, codes, timeout)).result()


def text_of(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        if out["type"] == "stream":
            parts.append(out["text"])
        elif out["type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}\n" + "\n".join(out.get("traceback", [])))
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def run_in_kernel(server: str, token: str, kernel_id: str, code: str) -> str:
    """Run ``code``, require it to succeed, and return what it printed."""
    (result,) = execute(server, token, kernel_id, [code])
    printed = text_of(result["outputs"])
    check(result["status"] == "ok", f"the student's kernel failed on:\n{code}\n{printed}")
    return printed


def source_of(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


# The input prompts of the visible notebook's code cells: "[ ]:" never run, "[*]:" running or queued.
PROMPTS = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')).map(e => e.textContent.trim())"""


LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"}}


def lab_menu(page, menu: str, item: str | re.Pattern) -> None:
    """Click JupyterLab's menu ``menu``, then its item ``item`` (a label or a pattern)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    label = item if isinstance(item, re.Pattern) else re.compile(f"^{re.escape(item)}$")
    page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text=label).first.click()


# --- nbgrader --------------------------------------------------------------------------------------


def nbgrader_config(exchange: Path, course_root: Path | None = None) -> str:
    """An nbgrader_config.py: the instructor's (in the course folder) or the students' (on their servers)."""
    lines = ["c = get_config()  # noqa: F821", f"c.CourseDirectory.course_id = {COURSE_ID!r}",
             f"c.Exchange.root = {str(exchange)!r}"]
    if course_root is None:
        # nbgrader names a submission after the server's OS user, or after JUPYTERHUB_USER when that
        # user is `jovyan` (Zero to JupyterHub's images). Here every server runs as root: name it.
        lines += ["import os", "c.CourseDirectory.student_id = os.environ['JUPYTERHUB_USER']"]
    else:
        lines += [f"c.CourseDirectory.root = {str(course_root)!r}",
                  f"c.CourseDirectory.db_url = {('sqlite:///' + str(course_root / 'gradebook.db'))!r}"]
    return "\n".join(lines) + "\n"


def answered(release: dict, source: dict) -> dict:
    """The released notebook with every solution cell holding the instructor's solution."""
    solutions = {}
    for cell in source["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            markers = ("### BEGIN SOLUTION", "### END SOLUTION")
            solutions[meta["grade_id"]] = "\n".join(
                line for line in text.splitlines() if line.strip() not in markers)
    filled = 0
    for cell in release["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
            filled += 1
    check(filled == len(solutions) > 0, f"filled {filled} of {len(solutions)} solution cells")
    return release


STUDENT_NBGRADER = """\
import os, subprocess, sys
from pathlib import Path
os.chdir(os.environ["HOME"])
env = {{**os.environ, "PATH": f"{{Path(sys.executable).parent}}{{os.pathsep}}{{os.environ['PATH']}}"}}
r = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), {args}], capture_output=True, text=True,
                   env=env)
print("exit", r.returncode)
print(r.stdout[-3000:], r.stderr[-3000:])
"""


# --- Processes -------------------------------------------------------------------------------------


def stray_processes(marker: str) -> list[int]:
    """Processes of this check still running: those whose environment holds the check's marker."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ.split(b"\0"):
            found.append(int(proc.name))
    return found


def stop(process: subprocess.Popen, marker: str) -> None:
    """Stop the hub (it stops the proxy and the servers it started), then anything of ours left."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = stray_processes(marker)
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = stray_processes(marker)
    left = stray_processes(marker)
    check(not left, f"processes of the check still running: {left}")


def wait_for(url: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check(process.poll() is None, f"the hub exited {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise CheckFailed(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


# --- The check -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub-venv", type=Path, required=True, help="the venv of tools/hub/requirements.txt")
    parser.add_argument("--proxy", type=Path, required=True, help="the configurable-http-proxy executable")
    parser.add_argument("--chapter", default=CHAPTER)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("hub-check: FAILED: no chromium on PATH (Debian: apt-get install chromium)")
        return 1
    jupyterhub = args.hub_venv.absolute() / "bin" / "jupyterhub"
    proxy = args.proxy.absolute()
    for path in (jupyterhub, proxy):
        if not os.access(path, os.X_OK):
            print(f"hub-check: FAILED: {path} is missing (make hub-check installs it)")
            return 1

    tmp = Path(tempfile.mkdtemp(prefix="nnbasics-hub-check-"))
    marker = f"NNBASICS_HUB_CHECK={tmp}"
    print(f"hub-check: temporary folder {tmp}")
    steps = Steps()
    hubs: list[subprocess.Popen] = []  # the hub, once started (it starts the proxy and the servers)
    closers: list = []  # the browser
    ok = False
    try:
        _check(args, steps, tmp, jupyterhub, proxy, chromium, hubs, closers)
        ok = True
    except Exception as error:  # every failure ends the check with its message
        ok = False
        print(f"hub-check: FAILED: {type(error).__name__}: {error}", flush=True)
        log = tmp / "jupyterhub.log"
        if log.exists():
            print(f"--- the end of the hub's log ---\n{log.read_text()[-3000:]}\n---")
    finally:
        with steps("stop Chromium, the hub, its proxy, the student's server and kernels"):
            for close in reversed(closers):
                try:
                    close()
                except Exception as error:  # the hub is stopped all the same
                    print(f"hub-check: closing the browser: {error}")
            for process in hubs:
                try:
                    stop(process, marker)
                except CheckFailed as error:
                    ok = False
                    print(f"hub-check: FAILED: {error}", flush=True)
        if args.keep:
            print(f"hub-check: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    total = time.monotonic() - steps.start
    if ok:
        print(f"hub-check: all steps passed in {total:.0f} s")
        return 0
    print(f"hub-check: failed after {total:.0f} s")
    return 1


def _check(args, steps: Steps, tmp: Path, jupyterhub: Path, proxy: Path, chromium: str,
           hubs: list[subprocess.Popen], closers: list) -> None:
    chapter = args.chapter
    course_python = Path(sys.executable)  # the course's .venv (not resolved: that would leave the venv)
    nbgrader = course_python.with_name("nbgrader")
    port, api_port, hub_port = free_ports(3)
    hub_url = f"http://127.0.0.1:{port}"
    token, password = secrets.token_hex(32), secrets.token_urlsafe(12)

    with steps("clone the repository (committed HEAD) as the launch link's remote"):
        clone = tmp / "git" / "nnbasics"
        run(["git", "clone", "--quiet", ROOT, clone])
        head = run(["git", "-C", clone, "rev-parse", "HEAD"]).stdout.strip()
        branch = run(["git", "-C", clone, "branch", "--show-current"]).stdout.strip()
        print(f"    {clone.as_uri()} at {head[:12]} ({branch})")

    with steps(f"build the book's {chapter} chapter with jupyterhub_url = {hub_url} (temporary _config.yml)"):
        import yaml

        published = yaml.safe_load((clone / "_config.yml").read_text())
        check(not published["launch_buttons"].get("jupyterhub_url"),
              "the published _config.yml sets jupyterhub_url")
        # A copied tree (the config's paths, book/_ext, are relative to it) with the temporary files.
        tree = tmp / "book-tree"
        run(["git", "clone", "--quiet", clone, tree])
        (tree / "_config.yml").write_text(yaml.safe_dump(temporary_config(clone, hub_url), sort_keys=False))
        (tree / "_toc.yml").write_text(yaml.safe_dump(temporary_toc(chapter), sort_keys=False))
        run([course_python.with_name("jupyter-book"), "build", tree, "-q"], env={**os.environ, "STUDENT": ""})
        html = tree / "_build" / "html" / "book" / chapter
        link = hub_link(html / f"{chapter}.html")
        exercises_link = hub_link(html / "exercises.html")
        print(f"    the button's href: {link}")

    with steps("check the link: nbgitpuller's git-pull of the clone, opening the chapter in JupyterLab"):
        parts = urlsplit(link)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        check(f"{parts.scheme}://{parts.netloc}" == hub_url, f"the link is not on the local hub: {link}")
        check(parts.path == "/hub/user-redirect/git-pull", f"not an nbgitpuller link: {link}")
        notebook = f"{clone.name}/book/{chapter}/{chapter}.ipynb"  # relative to the student's home
        check(query == {"repo": clone.as_uri(), "urlpath": f"lab/tree/{notebook}", "branch": branch},
              f"unexpected link parameters {query}")
        exercises_query = parse_qs(urlsplit(exercises_link).query)
        check(exercises_query["urlpath"] == [f"lab/tree/{clone.name}/student/{chapter}/exercises.ipynb"],
              f"the exercises page does not launch the student release: {exercises_link}")

    with steps("start JupyterHub (dummy authenticator, local spawner, configurable-http-proxy)"):
        kernels = tmp / "share" / "jupyter" / "kernels" / "python3"
        kernels.mkdir(parents=True)
        (kernels / "kernel.json").write_text(json.dumps({
            "argv": [str(course_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": KERNEL_NAME, "language": "python", "metadata": {"debugger": True},
        }, indent=1))
        exchange = tmp / "exchange"
        student_config = tmp / "etc" / "jupyter"
        student_config.mkdir(parents=True)
        (student_config / "nbgrader_config.py").write_text(nbgrader_config(exchange))
        spawn_env = {"JUPYTER_PATH": str(tmp / "share" / "jupyter"),
                     "JUPYTER_CONFIG_PATH": str(student_config),
                     "NNBASICS_HUB_CHECK": str(tmp), "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "2",
                     "MKL_NUM_THREADS": "2", "TQDM_DISABLE": "1"}
        env = {**os.environ, "NNBASICS_HUB_DIR": str(tmp), "NNBASICS_HUB_PORT": str(port),
               "NNBASICS_HUB_API_PORT": str(api_port), "NNBASICS_HUB_HUB_PORT": str(hub_port),
               "NNBASICS_HUB_PROXY": str(proxy), "NNBASICS_HUB_PASSWORD": password,
               "NNBASICS_HUB_TOKEN": token,
               "NNBASICS_HUB_SPAWN_ENV": "\n".join(f"{k}={v}" for k, v in spawn_env.items()),
               "NNBASICS_HUB_CHECK": str(tmp)}
        log = tmp / "jupyterhub.log"
        with log.open("w") as out:
            command = [str(jupyterhub), "-f", str(HERE / "jupyterhub_config.py")]
            hubs.append(subprocess.Popen(command, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True))
        wait_for(f"{hub_url}/hub/api", 120, hubs[0], log)
        hub_api = Api(f"{hub_url}/hub/api", token)
        print(f"    JupyterHub {hub_api.get('/')['version']} at {hub_url}")

    server = f"{hub_url}/user/{STUDENT}"
    user_api = Api(f"{server}/api", token)
    home = tmp / "home" / STUDENT
    # The student's JupyterLab settings: every cell in the page (the check reads every prompt), no news.
    for plugin, settings in LAB_SETTINGS.items():
        path = home / ".jupyter" / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    closers.append(playwright.stop)
    browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
    closers.append(browser.close)  # after the chapter has run: the student's page stays open until then
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    shots = ROOT / "_build" / "hub"
    shots.mkdir(parents=True, exist_ok=True)
    closers.append(lambda: page.screenshot(path=str(shots / "hub-check-last.png")))  # the last state seen
    with steps(f"Chromium: open the button's link, log in as '{STUDENT}' through the hub's form"):
        page.goto(link)
        page.wait_for_selector("input[name=username]", timeout=60_000)
        check("/hub/login" in page.url, f"expected the hub's login page, got {page.url}")
        page.fill("input[name=username]", STUDENT)
        page.fill("input[name=password]", password)
        page.click("#login_submit")
    with steps("the hub starts the student's server, nbgitpuller clones, JupyterLab opens it"):
        page.wait_for_url(re.compile(re.escape(f"{server}/lab/tree/{notebook}")), timeout=300_000)
        tab = page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
        tab.filter(has_text=f"{chapter}.ipynb").wait_for(timeout=120_000)
        title = page.locator(".jp-NotebookPanel:visible .jp-MarkdownCell h1").first
        title.wait_for(timeout=120_000)
        source = json.loads((clone / "book" / chapter / f"{chapter}.ipynb").read_text())
        heading = "".join(source["cells"][0]["source"]).splitlines()[0].lstrip("# ").strip()
        shown = title.inner_text()
        check(heading in shown, f"JupyterLab shows {shown!r}, not {heading!r}")
        intro = page.locator(".jp-NotebookPanel:visible .jp-MarkdownCell").first.inner_text()
        check("{term}" not in intro, f"MyST roles are not rendered (jupyterlab-myst): {intro[:300]!r}")
        kernel_name = page.locator(".jp-NotebookPanel:visible .jp-KernelName").first
        kernel_name.filter(has_text=KERNEL_NAME).wait_for(timeout=120_000)
        idle = page.locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status="idle"]')
        idle.first.wait_for(timeout=120_000)  # the kernel JupyterLab started for the chapter is ready
        page.screenshot(path=str(shots / "hub-check-lab.png"))
        pulled = run(["git", "-C", home / clone.name, "rev-parse", "HEAD"]).stdout.strip()
        check(pulled == head, f"the student's clone is at {pulled}, not {head}")
        print(f"    JupyterLab shows '{heading}' with the kernel '{KERNEL_NAME}';"
              f" the student's clone is at {pulled[:12]}")

    with steps("the chapter's kernel is the course's environment; its first code cell is the launch cell"):
        kernel_id = None
        deadline = time.monotonic() + 120
        while kernel_id is None and time.monotonic() < deadline:
            sessions = [s for s in user_api.get("/sessions") if s["path"] == notebook]
            kernel_id = sessions[0]["kernel"]["id"] if sessions else None
            if kernel_id is None:
                time.sleep(1)
        check(kernel_id, f"JupyterLab started no kernel for {notebook}: {user_api.get('/sessions')}")
        printed = run_in_kernel(server, token, kernel_id, "import sys; print(sys.executable)")
        check(printed.strip() == str(course_python),
              f"the kernel runs {printed.strip()}, not {course_python}")
        cells = user_api.get(f"/contents/{notebook}")["content"]["cells"]
        first = next(c for c in cells if c["cell_type"] == "code")
        sys.path.insert(0, str(clone / "tools"))
        from nnbasics_course.student import LAUNCH_TAG, book_version, launch_cell_source, repository_url

        check(LAUNCH_TAG in first["metadata"].get("tags", []),
              "the chapter's first code cell is not its launch cell")
        check(source_of(first) == launch_cell_source(book_version(clone), repository_url(clone)),
              "the launch cell differs from launch_cell_source(...) of the published _config.yml")
        print(f"    kernel {course_python}")

    with steps("JupyterLab: clear every output, Run All Cells, save; no error, the launch cell silent"):
        n_code = sum(c["cell_type"] == "code" for c in cells)
        lab_menu(page, "Edit", "Clear Outputs of All Cells")
        prompts = lambda: page.evaluate(PROMPTS)  # noqa: E731
        check(prompts() == ["[ ]:"] * n_code, f"not every code cell was cleared: {prompts()}")
        began = time.monotonic()
        lab_menu(page, "Run", "Run All Cells")
        deadline = time.monotonic() + 300
        while not all(re.fullmatch(r"\[\d+\]:", p) for p in prompts()):
            check(time.monotonic() < deadline, f"the notebook did not finish in 300 s: {prompts()}")
            time.sleep(0.5)
        took = time.monotonic() - began
        lab_menu(page, "File", re.compile(r"^Save( Notebook)?$"))
        page.locator(".lm-TabBar-tab.lm-mod-current.jp-mod-dirty").wait_for(state="detached", timeout=60_000)
        page.screenshot(path=str(shots / "hub-check-run.png"))
        saved = user_api.get(f"/contents/{notebook}")["content"]["cells"]
        code = [c for c in saved if c["cell_type"] == "code"]
        counts = [c["execution_count"] for c in code]
        check(len(code) == n_code and all(counts) and counts == sorted(counts),
              f"not every code cell ran, in order: {counts}")
        for i, cell in enumerate(code):
            errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
            check(not errors, f"code cell {i} failed:\n{source_of(cell)[:300]}\n{errors[:1]}")
        check(code[0]["outputs"] == [], f"the launch cell printed: {code[0]['outputs']}")
        printed = run_in_kernel(server, token, kernel_id,
                                "print(sorted(k for k in ('_pip', '_course') if k in globals()))")
        check(printed.strip() == "[]", f"the launch cell took its install branch: {printed}")
        print(f"    {n_code} code cells ran in {took:.1f} s, no error; the launch cell printed nothing"
              " and installed nothing")

    course = tmp / "course"
    with steps(f"instructor: nbgrader generate_assignment and release_assignment {chapter} to the exchange"):
        (course / "source" / chapter).mkdir(parents=True)
        shutil.copyfile(clone / "book" / chapter / "exercises.ipynb",
                        course / "source" / chapter / "exercises.ipynb")
        (course / "nbgrader_config.py").write_text(nbgrader_config(exchange, course))
        run([nbgrader, "generate_assignment", chapter, "--force"], cwd=course)
        run([nbgrader, "release_assignment", chapter, "--force"], cwd=course)

    with steps(f"student, on their server: nbgrader fetch_assignment {chapter}, answer, nbgrader submit"):
        kernel_id = user_api.request("POST", "/kernels", {"name": "python3"})["id"]
        fetch = STUDENT_NBGRADER.format(args=f"'fetch_assignment', {chapter!r}")
        printed = run_in_kernel(server, token, kernel_id, fetch)
        check(printed.startswith("exit 0"), f"nbgrader fetch_assignment failed:\n{printed}")
        fetched = f"{chapter}/exercises.ipynb"
        model = user_api.get(f"/contents/{fetched}")
        source = json.loads((clone / "book" / chapter / "exercises.ipynb").read_text())
        user_api.request("PUT", f"/contents/{fetched}", {"type": "notebook", "format": "json",
                                                          "content": answered(model["content"], source)})
        submit = STUDENT_NBGRADER.format(args=f"'submit', {chapter!r}")
        printed = run_in_kernel(server, token, kernel_id, submit)
        check(printed.startswith("exit 0"), f"nbgrader submit failed:\n{printed}")
        user_api.request("DELETE", f"/kernels/{kernel_id}")
        inbound = sorted(p.name for p in (exchange / COURSE_ID / "inbound").iterdir())
        check(len(inbound) == 1 and inbound[0].startswith(f"{STUDENT}+{chapter}+"),
              f"the exchange's inbound: {inbound}")
        print(f"    submitted: exchange/{COURSE_ID}/inbound/{inbound[0]}")

    with steps(f"instructor: nbgrader collect, autograde, export {chapter}: full marks, the blank 0"):
        run([nbgrader, "collect", chapter], cwd=course)
        # Beside it, the untouched release as another student's submission: the grading discriminates.
        blank = course / "submitted" / BLANK / chapter
        blank.mkdir(parents=True)
        shutil.copyfile(course / "release" / chapter / "exercises.ipynb", blank / "exercises.ipynb")
        run([nbgrader, "autograde", chapter], cwd=course)
        run([nbgrader, "export", "--to", course / "grades.csv"], cwd=course)
        with (course / "grades.csv").open() as f:
            scores = {r["student_id"]: (float(r["score"]), float(r["max_score"]))
                      for r in csv.DictReader(f) if r["assignment"] == chapter}
        check(set(scores) == {STUDENT, BLANK}, f"grades.csv lists {sorted(scores)}")
        (score, max_score), (blank_score, _) = scores[STUDENT], scores[BLANK]
        check(max_score > 0 and score == max_score, f"the correct submission scored {score}/{max_score}")
        check(blank_score == 0, f"the blank release scored {blank_score}/{max_score}")
        print(f"    {STUDENT}: {score:g}/{max_score:g}; {BLANK}: {blank_score:g}/{max_score:g}")


if __name__ == "__main__":
    sys.exit(main())
