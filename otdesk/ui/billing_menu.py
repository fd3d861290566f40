"""The Billing menu (Create claim file, Claim files, Claim settings), Visit > Print
CMS-1500, and the open visit's claim status in the status bar: put on the main window by
install(window), so the window itself needs one line for all of billing."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QMenu

from otdesk.core.visit import VisitStatus
from otdesk.errors import UserError
from otdesk.ui.errors import present


def install(window: Any) -> None:
    """Add billing to `window` (otdesk.ui.main_window.MainWindow)."""
    window.cms1500_action = window._action("Print &CMS-1500…", None, lambda: _cms1500(window))
    visit_menu = window.menuBar().actions()[0].menu()
    visit_menu.insertAction(window.encounter_action, window.cms1500_action)
    bar = window.menuBar()
    billing = QMenu("&Billing", bar)
    billing.setObjectName("billingMenu")
    bar.insertMenu(bar.actions()[-1], billing)  # before Help
    window.claim_file_action = window._action(
        "&Create claim file…", None, lambda: _create_file(window)
    )
    window.claim_files_action = window._action("Claim &files…", None, lambda: _files(window))
    window.claim_settings_action = window._action(
        "Claim &settings…", None, lambda: _settings(window)
    )
    for action in (window.claim_file_action, window.claim_files_action):
        billing.addAction(action)
    billing.addSeparator()
    billing.addAction(window.claim_settings_action)
    window.claim_status = QLabel()
    window.claim_status.setAccessibleName("Claim status")
    window.statusBar().addPermanentWidget(window.claim_status)
    window.controller.changed.connect(lambda visit: show_status(window, visit))
    show_status(window, window.controller.visit)


def show_status(window: Any, visit: Any) -> None:
    """The claim status of the visit shown (nothing for drafts and self-pay)."""
    claimable = visit is not None and visit.status in (
        VisitStatus.FINALIZED,
        VisitStatus.VOID,
        VisitStatus.AMENDED,
    )
    window.cms1500_action.setEnabled(bool(claimable and visit.payer_id is not None))
    if not claimable or window.clinic is None or visit.payer_id is None:
        window.claim_status.setText("")
        return
    try:
        status = window.clinic.claims.status(visit.id)
    except UserError as error:  # a locked database: say so, keep the window going
        present(
            window, error, lambda text: window.claim_status.setText(f"Claim status unknown: {text}")
        )
        return
    window.claim_status.setText(f"Claim: {status.text}")


def _cms1500(window: Any) -> None:
    from otdesk.ui.cms1500_dialog import show_for

    visit = window.controller.visit
    if visit is not None:
        show_for(window, visit.id)


def _create_file(window: Any) -> None:
    from otdesk.ui import claim_file_dialog

    claim_file_dialog.ask(window, window.clinic, window.day.current_date())
    show_status(window, window.controller.visit)


def _files(window: Any) -> None:
    from otdesk.ui import claim_files_dialog

    claim_files_dialog.ask(window, window.clinic)


def _settings(window: Any) -> None:
    from otdesk.ui import claim_settings_dialog

    claim_settings_dialog.ask(window, window.clinic)
