"""Check the reader's Binder environment as repo2docker would build it: ``make binder-check``.

1. Creates a fresh virtual environment (default ``/tmp/vae-binder-venv``; ``--venv`` to choose,
   ``--reuse`` to keep an existing one) with Python 3.11 (``binder/runtime.txt``), installs
   ``binder/requirements.txt`` into it and runs ``binder/postBuild``, as repo2docker does.
2. Starts that environment's Jupyter server headless (``jupyter lab --no-browser``) and checks
   that it comes up (``/api/status``), serves JupyterLab, and lists the jupyterlab-myst and
   ipywidgets extensions.
3. Opens a session for a chapter's reader copy (``readers/book/...``) through the server's REST
   API and runs every code cell through that kernel over the server's websocket, failing on
   the first error.

Outside the default test suite because step 1 downloads JupyterLab and friends (measured:
see the report printed at the end). Exit status 0 when everything worked.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHAPTER = "readers/book/foundations/what_is_p_x_given_z.ipynb"

# Runs inside the Binder environment (it has tornado and nbformat, the test venv need not).
DRIVER = r'''
import json, sys, time, uuid
import nbformat
from tornado import httpclient, ioloop, websocket

base, token, nb_path = sys.argv[1], sys.argv[2], sys.argv[3]
headers = {"Authorization": f"token {token}"}


async def main():
    http = httpclient.AsyncHTTPClient()
    body = json.dumps({"path": nb_path, "type": "notebook", "name": nb_path,
                       "kernel": {"name": "python3"}})
    r = await http.fetch(f"{base}/api/sessions", method="POST", body=body, headers=headers)
    kernel_id = json.loads(r.body)["kernel"]["id"]
    ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
    conn = await websocket.websocket_connect(
        httpclient.HTTPRequest(ws_url, headers=headers), max_message_size=1 << 30)
    nb = nbformat.read(nb_path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(cells):
        msg_id = uuid.uuid4().hex
        conn.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": "check", "session": uuid.uuid4().hex,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": cell.source, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        while True:
            raw = await conn.read_message()
            if raw is None:
                raise SystemExit(f"websocket closed during cell {i}")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error":
                print("\n".join(msg["content"]["traceback"]), file=sys.stderr)
                raise SystemExit(f"cell {i} raised {msg['content']['ename']}")
            if msg["channel"] == "shell" and msg["msg_type"] == "execute_reply":
                if msg["content"]["status"] != "ok":
                    raise SystemExit(f"cell {i}: status {msg['content']['status']}")
                break
    print(f"ran {len(cells)} code cells of {nb_path} through the server's kernel")
    await http.fetch(f"{base}/api/kernels/{kernel_id}", method="DELETE", headers=headers)

ioloop.IOLoop.current().run_sync(main)
'''


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_env(venv: Path, python: str, reuse: bool, keep_index: bool) -> float:
    start = time.perf_counter()
    if venv.exists() and not reuse:
        shutil.rmtree(venv)
    if not (venv / "bin" / "python").exists():
        run([python, "-m", "venv", str(venv)])
        requirements = ROOT / "binder" / "requirements.txt"
        if not keep_index:
            # binder/requirements.txt adds PyTorch's CPU wheel index for mybinder.org. Machines
            # without a route to it (this project's CI) get the same CPU wheel from their pip
            # configuration; asking the unreachable index would only add minutes of retries.
            lines = requirements.read_text().splitlines(keepends=True)
            requirements = venv.parent / f"{venv.name}-requirements.txt"
            requirements.write_text("".join(
                line for line in lines if not line.startswith("--extra-index-url")))
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
             str(requirements)])
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    run(["bash", str(ROOT / "binder" / "postBuild")], env=env, cwd=ROOT)
    return time.perf_counter() - start


def check_server(venv: Path, chapter: str) -> float:
    start = time.perf_counter()
    port, token = free_port(), uuid.uuid4().hex
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "TQDM_DISABLE": "1"}
    env.pop("PYTHONPATH", None)  # the Binder environment's own package, as a reader has it
    log = open(venv / "jupyter-server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(venv / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={ROOT}",
         # CI runs as root (Binder does not); the server refuses root without this flag.
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    try:
        for _ in range(120):
            if server.poll() is not None:
                raise SystemExit(
                    f"jupyter lab exited with {server.returncode}:\n"
                    + (venv / "jupyter-server.log").read_text()[-3000:])
            try:
                req = urllib.request.Request(f"{base}/api/status",
                                             headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("jupyter lab did not answer /api/status within 60 s")
        req = urllib.request.Request(f"{base}/lab", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200, f"/lab answered {r.status}"
        out = subprocess.run([str(venv / "bin" / "jupyter"), "labextension", "list"],
                             capture_output=True, text=True, env=env, check=True)
        listing = out.stdout + out.stderr
        for ext in ("jupyterlab-myst", "@jupyter-widgets/jupyterlab-manager"):
            assert ext in listing, f"JupyterLab extension {ext} missing:\n{listing}"
        run([str(venv / "bin" / "python"), "-c", DRIVER, base, token, chapter], env=env, cwd=ROOT)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    log_text = (venv / "jupyter-server.log").read_text()
    assert "Traceback" not in log_text, f"the server logged a traceback:\n{log_text[-3000:]}"
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--venv", type=Path, default=Path("/tmp/vae-binder-venv"))
    parser.add_argument("--python", default=shutil.which("python3.11") or "python3")
    parser.add_argument("--reuse", action="store_true", help="keep an existing environment")
    parser.add_argument("--chapter", default=DEFAULT_CHAPTER)
    parser.add_argument("--keep-extra-index", action="store_true",
                        help="keep the --extra-index-url of binder/requirements.txt")
    args = parser.parse_args(argv)
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11", runtime
    version = subprocess.run([args.python, "-c", "import sys; print(sys.version[:4])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "3.11", f"{args.python} is Python {version}; binder/runtime.txt says 3.11"
    t_env = build_env(args.venv, args.python, args.reuse, args.keep_extra_index)
    t_server = check_server(args.venv, args.chapter)
    print(f"binder-check OK: environment {t_env:.0f} s, server + chapter {t_server:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
