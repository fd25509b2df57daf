"""A real SMTP server on loopback for the notification tests (aiosmtpd).

STARTTLS required, AUTH LOGIN/PLAIN required after it (one user and password), every
message accepted is parsed with Python's e-mail package and written as JSON into OUT_DIR:
envelope, headers and each MIME part (type, disposition, file name, content id, and its
text or the size and a SHA-256 of its bytes). Prints the port, then serves until killed.

Usage: smtp_server.py OUT_DIR CERT KEY USER PASSWORD
"""
import email
import email.policy
import hashlib
import json
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out_dir, cert, key, user, password = sys.argv[1:6]


class Save:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = []
        for part in msg.walk():
            info = {
                "type": part.get_content_type(),
                "disposition": part.get_content_disposition(),
                "filename": part.get_filename(),
                "cid": part.get("Content-ID"),
            }
            if not part.is_multipart():
                payload = part.get_payload(decode=True) or b""
                info["size"] = len(payload)
                info["sha256"] = hashlib.sha256(payload).hexdigest()
                if part.get_content_maintype() == "text":
                    info["text"] = payload.decode(part.get_content_charset() or "utf-8")
                if part.get_content_type() == "image/png":
                    info["png"] = payload[:8] == b"\x89PNG\r\n\x1a\n"
            parts.append(info)
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["Subject"]),
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "tls": session.ssl is not None,
            "authenticated": session.authenticated,
            "parts": parts,
        }
        path = os.path.join(out_dir, "%06d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    )
    return AuthResult(success=ok)


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Save(),
    hostname="127.0.0.1",
    port=port,
    tls_context=context,
    require_starttls=True,
    authenticator=authenticate,
    auth_require_tls=True,
    auth_required=True,
)
controller.start()
print(port, flush=True)
while True:
    time.sleep(3600)
