"""The API key section: set, replace or remove the key in the OS keychain, without blocking the window."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from studio.api.endpoints import ENV_API_KEY
from studio.qt.widgets.labels import make_label, set_role
from studio.services.app_state import AppState
from studio.services.credentials import Credentials, InvalidKeyError, clean_key
from studio.services.engine import KeySource, KeyStatus
from studio.storage.secrets import SecretStoreError

if TYPE_CHECKING:
    from studio.qt.bridge import AsyncBridge


def describe_failure(error: BaseException) -> str:
    if isinstance(error, SecretStoreError | InvalidKeyError):
        return str(error)
    return f"The keychain could not be reached ({type(error).__name__})."


class ApiKeySection(QGroupBox):
    def __init__(self, state: AppState, credentials: Credentials, bridge: AsyncBridge,
                 parent: QWidget | None = None) -> None:
        super().__init__("Speechmatics API key", parent)
        self._state = state
        self._credentials = credentials
        self._bridge = bridge

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.key_edit = QLineEdit(placeholderText="Paste an API key from the Speechmatics portal")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setAccessibleName("API key")
        self.key_edit.returnPressed.connect(self.save_key)
        self.show_check = QCheckBox("Show")
        self.show_check.toggled.connect(self._toggle_echo)
        self.save_button = QPushButton("Save key")
        self.save_button.clicked.connect(self.save_key)
        self.remove_button = QPushButton("Remove key")
        self.remove_button.clicked.connect(self.remove_key)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        hint = make_label("The key is kept in the system keychain only — never in a settings file or a log.",
                          "SectionHint", wrap=True)

        row = QHBoxLayout()
        row.addWidget(self.key_edit, 1)
        row.addWidget(self.show_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        layout.addWidget(hint)

        self._busy = False
        self._render(state.key)
        self._run(credentials.status(), "")

    @property
    def busy(self) -> bool:
        """True while a keychain operation is under way."""
        return self._busy

    def _toggle_echo(self, shown: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def _render(self, key: KeyStatus) -> None:
        if key.source is KeySource.ENVIRONMENT:
            text = (f"{ENV_API_KEY} is set in the environment, and the studio uses it. A key saved here is "
                    "used when the variable is not set.")
        elif key.source is KeySource.KEYCHAIN:
            text = "A key is stored in the system keychain."
        elif key.source is KeySource.UNKNOWN:
            text = "Checking the keychain…"
        elif key.problem:
            text = key.problem
        else:
            text = "No key is stored. Without one, the studio uses its built-in engine."
        if text != self.status_label.text():
            self.status_label.setText(text)
            self._grow_to_fit()
        set_role(self.status_label, "ErrorText" if key.problem else "")
        has_stored = key.source is KeySource.KEYCHAIN
        self.save_button.setText("Replace key" if has_stored else "Save key")
        self.save_button.setEnabled(not self._busy and not key.problem)
        self.key_edit.setEnabled(not self._busy and not key.problem)
        self.remove_button.setEnabled(not self._busy and has_stored)

    def _message(self, text: str, error: bool = False) -> None:
        set_role(self.message_label, "ErrorText" if error else "OkText")
        self.message_label.setText(text)
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        # Wrapped text that changed after the dialog was laid out needs the window to grow to show it.
        window = self.window()
        if window is not self and window.isVisible():
            window.adjustSize()

    def save_key(self) -> None:
        try:
            clean_key(self.key_edit.text())
        except InvalidKeyError as exc:
            self._message(str(exc), error=True)
            return
        self._run(self._credentials.save(self.key_edit.text()), "Saved in the system keychain.")

    def remove_key(self) -> None:
        self._run(self._credentials.remove(), "Removed from the system keychain.")

    def _run(self, work: Coroutine[Any, Any, KeyStatus], done_message: str) -> None:
        self._busy = True
        self._render(self._state.key)
        state = self._state

        def finished(status: KeyStatus) -> None:
            state.set_key_status(status)  # the status bar hears of it even if this dialog is gone
            if isValid(self):
                self._busy = False
                if done_message:
                    self.key_edit.clear()
                    self._message(done_message)
                self._render(status)

        def failed(error: BaseException) -> None:
            if isValid(self):
                self._busy = False
                self._message(describe_failure(error), error=True)
                self._render(self._state.key)

        self._bridge.submit(work, on_result=finished, on_error=failed)
