"""policyscan annotate: the decision log, the server's token and origin checks, and the page driven by the keyboard."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

import policyscan
from policyscan.annotate import LABEL_KEYS, AnnotationServer, start_session
from policyscan.annotations import read_annotations
from policyscan.cli import main
from policyscan.errors import PolicyscanWarning
from policyscan.sample import Task, write_tasks
from policyscan.taxonomy import load_taxonomy
from policyscan.training import load_training_data

TAXONOMY = load_taxonomy()
KEY = {label: key for label, key in zip(TAXONOMY.ids, LABEL_KEYS, strict=False)}

SENTENCES = [
    "De gemeente Lindenhoek steunt het maatjesproject dat eenzame ouderen thuis bezoekt.",
    "Het college stelt de nota vast in de vergadering van 12 maart.",
    "Wie een bijstandsuitkering ontvangt, kan via het vrijwilligerspunt ervaring opdoen voor betaald werk.",
    "Vrijwilligers mogen geen taken overnemen van betaalde krachten in Brugwaarde.",
    "De jeugdvoetbalclub zoekt trainers voor de nieuwe teams op het sportpark.",
    "Nu de thuiszorg minder uren krijgt, rekenen we op buren en vrijwilligers.",
    "Het dorpshuis in Meerhaven wordt beheerd door een stichting van bewoners.",
    "Taalmaatjes helpen statushouders met de Nederlandse taal.",
    "De bibliotheek organiseert met vrijwilligers een leesclub voor kinderen.",
    "We bedanken alle vrijwilligers voor hun inzet in het afgelopen jaar.",
    "De energiecoöperatie van Lindenhoek zoekt vrijwillige energiecoaches.",
    "Buurtpreventieteams lopen 's avonds een ronde door de wijk Oosterveld.",
    "Ondernemers in het centrum sponsoren de vrijwilligersprijs.",
    "Mantelzorgers kunnen een keer per jaar een respijtweekend aanvragen.",
]


@pytest.fixture
def tasks_file(tmp_path) -> Path:
    """Fourteen tasks as `policyscan sample` writes them: context, and the model's labels on some."""
    tasks = [
        Task(
            text,
            ("loneliness",) if i == 0 else (),
            "lindenhoek-nota",
            "corpus/Lindenhoek/nota.pdf",
            i // 5 + 1,
            i,
            "Vrijwilligers in Lindenhoek",
            "Lindenhoek",
            SENTENCES[i - 1] if i else "",
            SENTENCES[i + 1] if i + 1 < len(SENTENCES) else "",
            "mixed",
        )
        for i, text in enumerate(SENTENCES)
    ]
    path = tmp_path / "tasks.jsonl"
    write_tasks(tasks, path, "jsonl", TAXONOMY)
    return path


def _log_line(text: str, labels: list[str], decision: str | None, annotator: str = "anna") -> str:
    meta = {"decision": decision} if decision else {}
    return json.dumps({"text": text, "labels": labels, "annotator": annotator} | ({"meta": meta} if meta else {}), ensure_ascii=False)


# ---------------------------------------------------------------- the decision log: the last line wins


def test_log_last_decision_per_sentence_wins(tmp_path):
    log = tmp_path / "log.jsonl"
    lines = [
        _log_line(SENTENCES[0], ["loneliness"], "labels"),
        _log_line(SENTENCES[1], [], "no_label"),
        _log_line(SENTENCES[0], ["loneliness", "care_ageing"], "labels"),
        _log_line(SENTENCES[2], ["poverty_work"], "labels"),
        _log_line(SENTENCES[2], [], "no_label"),
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = read_annotations(log, TAXONOMY)
    assert [(a.text, a.labels) for a in items] == [
        (SENTENCES[0], ("loneliness", "care_ageing")),
        (SENTENCES[1], ()),
        (SENTENCES[2], ()),
    ]


def test_log_with_changed_decisions_trains_without_conflicts(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(
        "\n".join([_log_line(SENTENCES[3], [], "no_label"), _log_line(SENTENCES[3], ["risk_awareness"], "labels")]) + "\n",
        encoding="utf-8",
    )
    items, conflicts = load_training_data([log], TAXONOMY, False, None)
    assert conflicts == []
    assert [a.labels for a in items] == [("risk_awareness",)]


def test_unsure_is_left_out_not_read_as_no_label(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(
        "\n".join(
            [
                _log_line(SENTENCES[5], ["care_ageing"], "unsure"),
                _log_line(SENTENCES[6], ["living_environment"], "labels"),
                _log_line(SENTENCES[6], [], "unsure"),  # decided, then thought better of it
                _log_line(SENTENCES[7], [], "unsure"),
                _log_line(SENTENCES[7], ["integration"], "labels"),  # unsure, then decided
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.warns(PolicyscanWarning, match="2 sentences marked unsure left out"):
        items = read_annotations(log, TAXONOMY)
    assert [(a.text, a.labels) for a in items] == [(SENTENCES[7], ("integration",))]
    kept = read_annotations(log, TAXONOMY, keep_unsure=True)
    assert len(kept) == 3


def test_plain_file_with_two_versions_is_still_a_conflict(tmp_path):
    """Only lines `annotate` marked as decisions fold; a hand-made file that contradicts itself is reported as before."""
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join([_log_line(SENTENCES[4], ["sport"], None), _log_line(SENTENCES[4], [], None)]) + "\n", encoding="utf-8")
    items, conflicts = load_training_data([plain], TAXONOMY, False, None)
    assert items == [] and len(conflicts) == 1


def test_restart_opens_at_first_undecided(tasks_file, tmp_path):
    out = tmp_path / "out.jsonl"
    first = start_session(tasks_file, out, TAXONOMY, "anna")
    assert (first.start, first.done) == (0, 0)
    for index in (0, 1, 3):
        first.decide(index, ["culture"], "labels")
    again = start_session(tasks_file, out, TAXONOMY, "anna")
    assert (again.start, again.done) == (2, 3)
    assert again.state()["decisions"][3] == {"decision": "labels", "labels": ["culture"]}


def test_decide_orders_labels_and_empty_labels_mean_no_label(tasks_file, tmp_path):
    session = start_session(tasks_file, tmp_path / "out.jsonl", TAXONOMY, "anna")
    assert session.decide(0, ["risk_awareness", "loneliness"], "labels").labels == ("loneliness", "risk_awareness")
    assert session.decide(1, [], "labels").decision == "no_label"
    assert session.decide(2, ["culture"], "no_label").labels == ()
    line = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert line["annotator"] == "anna" and line["municipality"] == "Lindenhoek" and line["page"] == 1
    assert line["meta"]["decision"] == "labels" and line["meta"]["after"] == SENTENCES[1]


def test_half_written_last_line_is_dropped_on_restart(tasks_file, tmp_path):
    out = tmp_path / "out.jsonl"
    start_session(tasks_file, out, TAXONOMY, "anna").decide(0, ["loneliness"], "labels")
    with open(out, "a", encoding="utf-8") as handle:
        handle.write(_log_line(SENTENCES[1], [], "no_label")[:30])
    with pytest.warns(PolicyscanWarning, match="half-written"):
        session = start_session(tasks_file, out, TAXONOMY, "anna")
    assert session.start == 1
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


# ---------------------------------------------------------------- command-line errors


def test_missing_tasks_is_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["annotate", str(tmp_path / "geen.jsonl"), "-o", str(tmp_path / "out.jsonl"), "--no-browser"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {tmp_path / 'geen.jsonl'}: file not found"


def test_empty_tasks_is_one_line_error(tmp_path):
    empty = tmp_path / "tasks.json"
    empty.write_text("[]", encoding="utf-8")
    result = CliRunner().invoke(main, ["annotate", str(empty), "-o", str(tmp_path / "out.jsonl"), "--no-browser"])
    assert result.exit_code == 1
    assert "no tasks in it" in result.output and len(result.output.strip().splitlines()) == 1


def test_port_in_use_is_one_line_error(tasks_file, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main, ["annotate", str(tasks_file), "-o", str(tmp_path / "o.jsonl"), "--no-browser", "--port", str(port)]
        )
    assert result.exit_code == 1
    assert (
        result.output.strip().splitlines()[-1] == f"Error: port {port} is in use; choose another with --port, or --port 0 for any free one"
    )


def test_output_must_not_be_the_tasks(tasks_file):
    result = CliRunner().invoke(main, ["annotate", str(tasks_file), "-o", str(tasks_file), "--no-browser"])
    assert result.exit_code == 1 and "the output is the task file" in result.output


# ---------------------------------------------------------------- the server: token and origin


@pytest.fixture
def server(tasks_file, tmp_path):
    """A server in a thread of this process."""
    srv = AnnotationServer(start_session(tasks_file, tmp_path / "out.jsonl", TAXONOMY, "bram"))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _request(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_requests_without_the_token_get_403(server):
    base = f"http://127.0.0.1:{server.port}"
    assert _request(f"{base}/")[0] == 403
    assert _request(f"{base}/?token=wrong")[0] == 403
    assert _request(f"{base}/state")[0] == 403
    assert _request(f"{base}/favicon.ico")[0] == 403
    assert _request(f"{base}/decision", {"task": 0, "labels": [], "decision": "no_label"})[0] == 403
    status, page = _request(server.url)
    assert status == 200 and b"policyscan annotate" in page
    assert _request(f"{base}/state", headers={"X-Policyscan-Token": server.token})[0] == 200


def test_writes_need_the_token_in_a_header(server):
    status, _ = _request(f"{server.url.replace('/?', '/decision?')}", {"task": 0, "labels": [], "decision": "no_label"})
    assert status == 403
    assert not server.session.log.path.exists()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_post_from_another_origin_is_refused_and_nothing_written(server, origin):
    headers = {"X-Policyscan-Token": server.token, "Origin": origin, "Content-Type": "application/json"}
    status, _ = _request(f"http://127.0.0.1:{server.port}/decision", {"task": 0, "labels": ["culture"], "decision": "labels"}, headers)
    assert status == 403
    assert not server.session.log.path.exists()
    own = headers | {"Origin": f"http://127.0.0.1:{server.port}"}
    status, body = _request(f"http://127.0.0.1:{server.port}/decision", {"task": 0, "labels": ["culture"], "decision": "labels"}, own)
    assert status == 200 and json.loads(body)["done"] == 1
    assert len(server.session.log.path.read_text(encoding="utf-8").splitlines()) == 1


# ---------------------------------------------------------------- the page, keyboard only, in a server process killed midway


def _serve(tasks: Path, out: Path) -> tuple[subprocess.Popen, str]:
    """`policyscan annotate` in a child process, and the address it printed."""
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(policyscan.__file__).parents[1]), os.environ.get("PYTHONPATH")]))
    }
    command = [sys.executable, "-m", "policyscan", "annotate", str(tasks), "-o", str(out), "--no-browser", "--coder", "anna"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("open "):
            watchdog.cancel()
            return proc, line.split()[1]
    watchdog.cancel()
    pytest.fail("policyscan annotate did not start: " + "".join(lines))


def _open(pw, url: str):
    from policyscan.testing.browser import CHROMIUM_ARGS, chromium_path

    browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
    page = browser.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    return browser, page


#: Keys a coder presses for the first ten sentences (after ticking, Enter saves), and the decision each leaves.
PLAN = [
    (["Enter"], "labels", ["loneliness"]),  # accepts the model's pre-filled label
    (["n"], "no_label", []),
    ([KEY["poverty_work"], "Enter"], "labels", ["poverty_work"]),
    ([KEY["risk_awareness"], "Enter"], "labels", ["risk_awareness"]),
    ([KEY["youth_education"], KEY["sport"], "Enter"], "labels", ["youth_education", "sport"]),
    (["u"], "unsure", []),
    ([KEY["living_environment"], "Enter"], "labels", ["living_environment"]),
    ([KEY["integration"], "Enter"], "labels", ["integration"]),
    ([KEY["culture"], KEY["youth_education"], "Enter"], "labels", ["youth_education", "culture"]),
    (["Enter"], "no_label", []),
]


def test_keyboard_only_decisions_survive_a_kill_and_restart_at_the_next(tasks_file, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "anna.jsonl"
    proc, url = _serve(tasks_file, out)
    try:
        with playwright_api.sync_playwright() as pw:
            browser, page = _open(pw, url)
            try:
                for index, (keys, _, _) in enumerate(PLAN):
                    assert page.text_content("#text") == SENTENCES[index]
                    for key in keys:
                        page.keyboard.press(key)
                    page.wait_for_selector(f"body[data-task='{index + 1}']")
                # back to the fifth sentence, untick sport: a new line, and the last line wins
                for _ in range(6):
                    page.keyboard.press("ArrowLeft")
                page.wait_for_selector("body[data-task='4']")
                page.keyboard.press(KEY["sport"])
                page.keyboard.press("Enter")
                page.wait_for_selector("body[data-task='5']")
                assert page.text_content("#progress") == f"10 / {len(SENTENCES)} decided"
                trips = page.evaluate("window.policyscanRoundTrips")
            finally:
                browser.close()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    print(f"\npage round trip per decision: mean {sum(trips) / len(trips):.1f} ms, max {max(trips):.1f} ms over {len(trips)}")

    assert len(out.read_text(encoding="utf-8").splitlines()) == 11
    decided = read_annotations(out, TAXONOMY, keep_unsure=True)
    expected = [(SENTENCES[i], tuple(labels)) for i, (_, _, labels) in enumerate(PLAN)]
    expected[4] = (SENTENCES[4], ("youth_education",))
    assert [(a.text, a.labels) for a in decided] == expected
    assert [a.meta["meta"]["decision"] for a in decided] == [kind for _, kind, _ in PLAN]
    assert {a.annotator for a in decided} == {"anna"}

    proc, url = _serve(tasks_file, out)
    try:
        with playwright_api.sync_playwright() as pw:
            browser, page = _open(pw, url)
            try:
                assert page.get_attribute("body", "data-task") == "10"
                assert page.text_content("#text") == SENTENCES[10]
                assert page.text_content("#progress") == f"10 / {len(SENTENCES)} decided"
                assert page.text_content("#before") == SENTENCES[9]
            finally:
                browser.close()
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert err.strip().splitlines()[-1] == f"stopped: 10 of {len(SENTENCES)} sentences decided, in {out}"

    converted = tmp_path / "anna.csv"
    result = CliRunner().invoke(main, ["annotations", "convert", str(out), "-o", str(converted), "--to", "csv"])
    assert result.exit_code == 0, result.output
    assert "1 sentences marked unsure left out" in result.output
    rows = read_annotations(converted, TAXONOMY)
    assert [(a.text, a.labels) for a in rows] == [e for i, e in enumerate(expected) if i != 5]
