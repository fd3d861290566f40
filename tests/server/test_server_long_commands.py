"""A long command on a clinic server whose server stops and starts again in the middle of
it (issue 16, faults) tries once more instead of losing the whole run: a batch of
superbills is written and recorded once, with no file left that the records do not know
of. The real test server is stopped during the batch (between the superbills' rendering
and their recording) and started again a moment later."""

from __future__ import annotations

import threading

import pytest
from pypdf import PdfReader

from otdesk import cli
from otdesk.services import superbill_batches
from otdesk.services.demo import install_server_demo
from otdesk.services.server_connection import sign_in
from tests.helpers import postgres


@pytest.mark.slow
def test_a_superbill_batch_tries_once_more_when_the_server_drops_mid_way(
    tmp_path, monkeypatch, capsys
):
    postgres._server_dir()  # skips (or fails under CI) before anything is made
    with postgres.fresh_database("otdesk_long") as url:
        address = url.replace("postgresql+psycopg://", "postgresql://", 1)
        install_server_demo(url, desk_dir=tmp_path / "seed")
        with sign_in(address, "demo", "demo", desk_dir=tmp_path / "look") as clinic:
            days = sorted(
                {v.date_of_service for v in clinic.visits.between("2000-01-01", "2099-12-31")
                 if v.status == "finalized"}
            )  # fmt: skip
        assert days, "the demo clinic has finalized visits"
        first, last = days[0].isoformat(), days[-1].isoformat()

        real_render = superbill_batches.render_superbills
        back = threading.Event()
        starter: list[threading.Thread] = []

        def render_while_the_server_stops(*args, **kwargs):
            document = real_render(*args, **kwargs)
            if not starter:  # the first batch only: the server goes away before recording
                postgres.stop_server()

                def start_again():
                    try:
                        postgres.start_server()
                    finally:
                        back.set()

                starter.append(threading.Timer(0.5, start_again))
                starter[0].start()
            return document

        monkeypatch.setattr(superbill_batches, "render_superbills", render_while_the_server_stops)
        monkeypatch.setenv("OTDESK_PASSWORD", "demo")
        monkeypatch.setenv("OTDESK_DATABASE_URL", "")
        out = tmp_path / "batch.pdf"
        try:
            code = cli.main(
                ["export", "superbills", "--database", address, "--data-dir",
                 str(tmp_path / "desk"), "--user", "demo", "--date", first, "--to", last,
                 "--out", str(out)]
            )  # fmt: skip
        finally:
            if starter:
                starter[0].join(60)
            assert back.is_set() or not starter
        printed = capsys.readouterr()
        assert starter, "the server was not stopped mid-way"
        assert code == 0, printed.err
        assert "The connection to the clinic server was lost while writing the superbills" in (
            printed.err
        )
        assert "Wrote " in printed.out
        with sign_in(address, "demo", "demo", desk_dir=tmp_path / "look") as clinic:
            issued = clinic.audit.entries(limit=100_000)
        recorded = [e for e in issued if e.action == "superbill.issue"]
        pages = len(PdfReader(str(out)).pages)
        assert recorded and pages >= 1
        # recorded once each: the try that was lost recorded nothing
        ids = [e.entity_id for e in recorded]
        assert len(ids) == len(set(ids))
