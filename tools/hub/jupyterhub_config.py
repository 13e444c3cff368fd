# The local JupyterHub of `make hub-check` (tools/hub/hub_check.py starts it with `jupyterhub -f` this
# file). Everything machine-specific comes from the environment hub_check.py sets:
#   NNBASICS_HUB_DIR       a temporary folder: the hub's database and secrets, the students' homes
#   NNBASICS_HUB_PORT      the public port of the proxy on 127.0.0.1 (the hub's address)
#   NNBASICS_HUB_API_PORT  the proxy's REST API port;  NNBASICS_HUB_HUB_PORT  the hub's own port
#   NNBASICS_HUB_PROXY     the configurable-http-proxy executable (npm ci into _build/hub)
#   NNBASICS_HUB_PASSWORD  the dummy authenticator's shared password
#   NNBASICS_HUB_TOKEN     the API token of the `hub-check` service (the check's own requests)
#   NNBASICS_HUB_SPAWN_ENV extra environment of every single-user server, as NAME=VALUE lines
#
# Mirrored by the Zero to JupyterHub config.yaml in book/instructors.md ("A class on JupyterHub").
# This is a test hub: SimpleLocalProcessSpawner runs every student as the hub's own user (root
# here) with a home folder under NNBASICS_HUB_DIR, and DummyAuthenticator takes any user name.
# Neither is for a real class.
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)

work = Path(os.environ["NNBASICS_HUB_DIR"])
hub_bin = Path(sys.executable).parent  # the hub's venv: jupyterhub-singleuser and JupyterLab

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["NNBASICS_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["NNBASICS_HUB_HUB_PORT"])
c.ConfigurableHTTPProxy.command = [os.environ["NNBASICS_HUB_PROXY"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['NNBASICS_HUB_API_PORT']}"
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = f"sqlite:///{work / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(work / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(work / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Students log in through the hub's login form with any name and the shared password.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["NNBASICS_HUB_PASSWORD"]
c.Authenticator.allow_all = True

# Each student's server: JupyterLab from the hub's venv, a home folder of its own, run as root
# (this box's only user), opening JupyterLab. Its kernels are the course's (.venv): hub_check.py
# writes the kernelspec `python3` into NNBASICS_HUB_DIR/share/jupyter, passed as JUPYTER_PATH.
c.JupyterHub.spawner_class = "simple"  # jupyterhub.spawner.SimpleLocalProcessSpawner
c.SimpleLocalProcessSpawner.home_dir_template = str(work / "home" / "{username}")
c.Spawner.cmd = [str(hub_bin / "jupyterhub-singleuser")]
c.Spawner.args = ["--ServerApp.allow_root=True", "--KernelSpecManager.ensure_native_kernel=False"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180  # a loaded 2-core box: JupyterLab's first start takes seconds
c.Spawner.http_timeout = 180
spawn_env = dict(
    line.split("=", 1) for line in os.environ.get("NNBASICS_HUB_SPAWN_ENV", "").splitlines() if "=" in line
)
c.Spawner.environment = {"PATH": f"{hub_bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin", **spawn_env}

# The check's own requests (open a kernel on the student's server, read the student's files).
c.JupyterHub.services = [{"name": "hub-check", "api_token": os.environ["NNBASICS_HUB_TOKEN"]}]
c.JupyterHub.load_roles = [
    {"name": "hub-check", "services": ["hub-check"],
     "scopes": ["access:servers", "read:users", "read:servers", "servers"]},
]
