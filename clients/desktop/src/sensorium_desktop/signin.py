"""The sign-in window: the server's URL on top, then one or more sign-in methods.

Username and password is the built-in method. Another (e.g. "Sign in with Google" through
OpenID Connect) is a widget given to `add_method()`; it reads `server_url()` and, once it
has tokens, calls the app's sign-in completion like the password method does.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QFormLayout, QFrame, QGroupBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)


class PasswordMethod(QGroupBox):
    submitted = pyqtSignal(str, str)  # username, password

    def __init__(self, username: str = ""):
        super().__init__("Username and password")
        form = QFormLayout(self)
        self.username = QLineEdit(username)
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = QPushButton("Sign in")
        self.button.setObjectName("sign_in")
        self.button.setDefault(True)
        form.addRow("Username", self.username)
        form.addRow("Password", self.password)
        form.addRow(self.button)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)

    def _submit(self) -> None:
        self.submitted.emit(self.username.text().strip(), self.password.text())


class SignInWindow(QWidget):
    password_submitted = pyqtSignal(str, str, str)  # server URL, username, password

    def __init__(self, *, server_url: str = "http://127.0.0.1:8000", username: str = ""):
        super().__init__()
        self.setWindowTitle("Wellness at Work: sign in")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        title = QLabel("Wellness at Work")
        title.setStyleSheet("font-size: 20px; font-weight: 600;")
        layout.addWidget(title)
        layout.addWidget(QLabel("Sign in to your Sensorium server to track your blinks and screen time."))
        server = QFormLayout()
        self.url = QLineEdit(server_url)
        self.url.setObjectName("server_url")
        server.addRow("Server", self.url)
        layout.addLayout(server)
        self._methods = QVBoxLayout()
        layout.addLayout(self._methods)
        self.password_method = PasswordMethod(username)
        self.password_method.submitted.connect(lambda user, secret: self.password_submitted.emit(
            self.server_url(), user, secret))
        self.add_method(self.password_method)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        layout.addStretch(1)

    def server_url(self) -> str:
        return self.url.text().strip().rstrip("/")

    def add_method(self, widget: QWidget) -> None:
        """Add a sign-in method below the others, separated by a rule."""
        if self._methods.count():
            rule = QFrame()
            rule.setFrameShape(QFrame.Shape.HLine)
            self._methods.addWidget(rule)
        self._methods.addWidget(widget, alignment=Qt.AlignmentFlag.AlignTop)

    def set_busy(self, busy: bool) -> None:
        self.password_method.button.setEnabled(not busy)
        self.password_method.button.setText("Signing in…" if busy else "Sign in")
        if busy:
            self.error.setText("")

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.error.setText(message)
