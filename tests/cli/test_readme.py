"""The README is a test: every ```sh block with a curl in it runs, in order, against a real
`kassa serve` on a fresh database; a curl answered outside 2xx, or a `# → {...}` line that no
longer matches the JSON its command printed, fails it.

How a command is run: one bash session for the whole README (its variables carry over from
block to block), one command at a time (lines joined until `bash -n` accepts them). Before a
command runs, the README's placeholders are replaced: `http://127.0.0.1:8000` by the server,
`sk_test_...` by the key `kassa serve` printed, `mtr_...`, `prod_...`, `whe_...`, `msg_...`,
`inv_...`, `cn_...` by the latest id of that kind a response carried. `curl` is a bash function
that keeps each response and its status (`-w`), so a `# →` line is compared with what the
command printed when that is JSON, else with its last response. In a `# →` line, `"..."` is any
value, `"x...y"` a string starting with x and ending with y, and a bare `...` in a list allows
more items; objects are compared on the keys shown. `kassa` runs the virtualenv's binary on the
same database; ```python blocks are not run (they need a webhook to verify).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.test_worker import KASSA, _free_port
from tests.conftest import BACKENDS, scratch_postgres

README = Path(__file__).resolve().parents[2] / "README.md"
PLACEHOLDER = re.compile(r"\b(mtr|prod|whe|msg|inv|cn)_\.\.\.")
ARROW = "# → "
README_ENDPOINT = "https://example.com/hooks"
MORE = "(more)"

CURL = r"""
curl() {
  local n=$(( $(ls "$README_RESPONSES" | wc -l) / 2 + 1000 ))
  local status
  status=$(command curl --max-time 20 -o "$README_RESPONSES/$n.body" -w '%{http_code}' "$@") || {
    echo "curl failed: $*" >&2; echo 000 > "$README_RESPONSES/$n.status"; return 7; }
  echo "$status" > "$README_RESPONSES/$n.status"
  cat "$README_RESPONSES/$n.body"
}
"""


def sh_blocks(readme: str) -> list[str]:
    """The ```sh blocks that run a curl, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```", readme, flags=re.S | re.M)
    return [b for b in blocks if re.search(r"\bcurl\b", b)]


def commands(block: str) -> Iterator[tuple[str, list[str]]]:
    """(command, its `# →` lines) in order; comments and blank lines between commands drop."""
    pending: list[str] = []
    current: tuple[str, list[str]] | None = None
    for line in block.splitlines():
        if not pending:
            stripped = line.strip()
            if stripped.startswith(ARROW):
                assert current is not None, f"{line!r} follows no command"
                current[1].append(stripped[len(ARROW):])
                continue
            if not stripped or stripped.startswith("#"):
                continue
        pending.append(line)
        text_ = "\n".join(pending)
        if subprocess.run(["bash", "-n"], input=text_, text=True, capture_output=True).returncode:
            continue  # an open quote or $( ... ): the command goes on on the next line
        if current is not None:
            yield current
        current, pending = (text_, []), []
    assert not pending, f"unfinished command: {pending}"
    if current is not None:
        yield current


def expectation(shown: str) -> Any:
    """A `# →` line as JSON, a bare `...` read as MORE (an object's `...` is dropped)."""
    out, depth, i = [], [], 0
    while i < len(shown):
        c = shown[i]
        if c == '"':
            end = i + 1
            while shown[end] != '"':
                end += 2 if shown[end] == "\\" else 1
            out.append(shown[i:end + 1])
            i = end + 1
            continue
        if shown.startswith("...", i):
            out.append(json.dumps(MORE) + ("" if depth[-1] == "[" else ": null"))
            i += 3
            continue
        if c in "[{":
            depth.append(c)
        elif c in "]}":
            depth.pop()
        out.append(c)
        i += 1
    return json.loads("".join(out))


def mismatch(shown: Any, actual: Any, where: str = "") -> str | None:
    """Where ``actual`` departs from ``shown``, or None."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return f"{where or 'the answer'} is not an object: {actual!r}"
        for key, value in shown.items():
            if key == MORE:
                continue
            if key not in actual:
                return f"{where}.{key} is missing"
            found = mismatch(value, actual[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(shown, list):
        items = [s for s in shown if s != MORE]
        if not isinstance(actual, list):
            return f"{where} is not a list: {actual!r}"
        if len(actual) < len(items) or (MORE not in shown and len(actual) != len(items)):
            return f"{where} has {len(actual)} items: {actual!r}"
        for index, value in enumerate(items):
            found = mismatch(value, actual[index], f"{where}[{index}]")
            if found:
                return found
        return None
    if isinstance(shown, str) and "..." in shown:
        head, tail = shown.split("...", 1)
        if isinstance(actual, str) and actual.startswith(head) and actual.endswith(tail):
            return None
        return f"{where} is {actual!r}, not {shown!r}"
    return None if shown == actual else f"{where} is {actual!r}, not {shown!r}"


def record_ids(value: Any, ids: dict[str, str], seen: set[str]) -> None:
    """Every ``id`` in a response, by prefix; the first of each kind in a response wins."""
    if isinstance(value, dict):
        found = value.get("id")
        if isinstance(found, str) and "_" in found and found.split("_", 1)[0] not in seen:
            seen.add(found.split("_", 1)[0])
            ids[found.split("_", 1)[0]] = found
        for item in value.values():
            record_ids(item, ids, seen)
    elif isinstance(value, list):
        for item in value:
            record_ids(item, ids, seen)


class Shell:
    """One bash session; each command's output is read up to a marker it prints."""

    def __init__(self, env: dict[str, str], responses: Path) -> None:
        self.responses = responses
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=responses.parent)
        self.run(CURL)

    def run(self, command: str, timeout: float = 30) -> tuple[int, str]:
        marker = f"README-{uuid.uuid4().hex}"
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(f"{command}\nprintf '\\n{marker} %s\\n' $?\n")
        stdin.flush()
        watchdog = threading.Timer(timeout, self.proc.kill)
        watchdog.start()
        try:
            output = []
            for line in self.proc.stdout:  # type: ignore[union-attr]
                if line.startswith(marker):
                    return int(line.split()[1]), "".join(output)[:-1]  # the marker's own \n
                output.append(line)
        finally:
            watchdog.cancel()
        raise AssertionError(f"bash ended (or was killed after {timeout}s) running:\n{command}")

    def responses_since(self, count: int) -> list[tuple[int, str]]:
        names = sorted(self.responses.glob("*.status"))[count:]
        return [(int(p.read_text()), p.with_suffix(".body").read_text()) for p in names]

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(10)


def _serve(database_url: str, cwd: Path) -> tuple[subprocess.Popen, str, str]:
    """A `kassa serve` on ``database_url``: (process, base URL, the sandbox key it printed)."""
    port = _free_port()
    env = {**os.environ, "KASSA_DATABASE_URL": database_url, "KASSA_WORKER_POLL_SECONDS": "0.1"}
    proc = subprocess.Popen(KASSA + ["serve", "--port", str(port)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(60, proc.kill)  # a serve that never starts ends the read
    watchdog.daemon = True
    watchdog.start()
    output = ""
    while "Kassa is serving" not in output:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line, output
        output += line
    watchdog.cancel()
    key = re.search(r"sk_test_[A-Za-z0-9]{40}", output)
    assert key, output
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/health")
            break
        except httpx.TransportError:
            time.sleep(0.05)
    # the serve's output is no longer read: keep it from filling the pipe
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # type: ignore[union-attr]
    return proc, base, key.group(0)


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (so `kassa serve` prints a first key), dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kassa.db'}"
        return
    with scratch_postgres("kassa_readme") as url:
        yield url


def run_readme(readme: str, database_url: str, workdir: Path) -> list[str]:
    """Every command of the README's curl blocks, in order; the problems found (none: it works)."""
    proc, base, key = _serve(database_url, workdir)
    responses = workdir / "responses"
    responses.mkdir()
    env = {**os.environ, "KASSA_DATABASE_URL": database_url, "README_RESPONSES": str(responses),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    shell = Shell(env, responses)
    ids: dict[str, str] = {}
    problems: list[str] = []
    # The README's endpoint is not a receiver: its deliveries fail. Here they fail on a loopback
    # port nothing listens on, so the test sends nothing off this machine (and needs no DNS).
    nowhere = f"http://127.0.0.1:{_free_port()}/hooks"
    try:
        seen = 0
        for block in sh_blocks(readme):
            for command, shown in commands(block):
                command = command.replace("http://127.0.0.1:8000", base)
                command = command.replace("sk_test_...", key)
                command = command.replace(README_ENDPOINT, nowhere)
                shown = [line.replace(README_ENDPOINT, nowhere) for line in shown]
                for kind in PLACEHOLDER.findall(command):
                    assert kind in ids, f"no {kind}_ id was returned before:\n{command}"
                    command = command.replace(f"{kind}_...", ids[kind])
                status, printed = shell.run(command)
                answers = shell.responses_since(seen)
                seen += len(answers)
                for code, body in answers:
                    if not 200 <= code < 300:
                        problems.append(f"{command}\n→ HTTP {code}: {body}")
                    try:
                        record_ids(json.loads(body), ids, set())
                    except ValueError:
                        pass
                if status and not any(not 200 <= code < 300 for code, _ in answers):
                    problems.append(f"{command}\n→ exit status {status}: {printed}")
                for line in shown:
                    try:
                        actual = json.loads(printed)
                    except ValueError:
                        actual = json.loads(answers[-1][1]) if answers else None
                    found = mismatch(expectation(line), actual)
                    if found:
                        problems.append(f"{command}\n→ {printed}\ndoes not match\n# → {line}\n"
                                        f"({found})")
    finally:
        shell.close()
        proc.terminate()
        proc.wait(30)
    return problems


def test_the_readme_walk_through_runs_as_shown(fresh_database: str, tmp_path: Path) -> None:
    problems = run_readme(README.read_text(), fresh_database, tmp_path)
    assert not problems, "\n\n".join(problems)


def test_shown_output_is_compared_on_what_it_shows() -> None:
    answer = {"id": "whe_1", "url": "https://example.com/hooks", "enabled": True,
              "event_types": ["invoice.paid", "customer.created"]}
    assert mismatch(expectation('{"id": "whe_...", "enabled": true, ...}'), answer) is None
    assert mismatch(expectation('{"event_types": ["invoice.paid", ...]}'), answer) is None
    assert mismatch(expectation('{"id": "..."}'), answer) is None
    assert mismatch(expectation('{"enabled": false}'), answer) == ".enabled is True, not False"
    assert mismatch(expectation('{"id": "msg_..."}'), answer) == ".id is 'whe_1', not 'msg_...'"
    assert mismatch(expectation('{"event_types": ["invoice.paid"]}'), answer) == (
        ".event_types has 2 items: ['invoice.paid', 'customer.created']")
    assert mismatch(expectation('{"secret": "..."}'), answer) == ".secret is missing"
    assert mismatch(expectation('{"a": "x"}'), None) == "the answer is not an object: None"


def test_commands_are_split_where_bash_says_they_end() -> None:
    block = """# a comment
A=$(echo '{"a":
  1}' | cat)
# → {"a": 1}
echo "$A"   # trailing comment
# → {"a": 1}
"""
    assert list(commands(block)) == [
        ("A=$(echo '{\"a\":\n  1}' | cat)", ['{"a": 1}']),
        ('echo "$A"   # trailing comment', ['{"a": 1}']),
    ]
