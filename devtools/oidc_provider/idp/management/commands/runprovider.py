"""Prepare the development provider and serve it on loopback.

Migrates its SQLite file, makes a signing key once, creates or refreshes the
demo users and LifeCert's client, then serves until stopped. ``--fd`` serves a
socket the caller already listens on (the tests: no port race, and the
caller's first request simply waits in the backlog until the server accepts).
"""

import socket
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from oidc_provider.models import Client, ResponseType, RSAKey

from idp.models import Identity

DEMO_PASSWORD = "Demo-2026-lifecert"  # noqa: S105 the published demo password
DEMO_USERS = [
    # username, real name, ID number (as LifeCert's demo data: README)
    ("43060319920301203X", "杨书维", "43060319920301203X"),
    ("demo_unit", "王经办", "440106198001010019"),
]
CLIENT_ID = "lifecert-dev"
CLIENT_SECRET = "lifecert-dev-secret"  # noqa: S105 development only


class Command(BaseCommand):
    help = "Serve the development OpenID Connect provider on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--fd", type=int, help="serve this listening socket")
        parser.add_argument(
            "--rp",
            action="append",
            default=[],
            help="LifeCert's base URL (repeatable; default http://127.0.0.1:8000)",
        )
        parser.add_argument(
            "--user",
            action="append",
            default=[],
            help="another user USERNAME:NAME:ID_NUMBER (password as the demo's)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if not RSAKey.objects.exists():
            call_command("creatersakey", verbosity=0)
        users = list(DEMO_USERS)
        users += [tuple(spec.split(":", 2)) for spec in options["user"]]
        for username, name, id_number in users:
            self._user(username, name, id_number)
        self._client(options["rp"] or ["http://127.0.0.1:8000"])
        if options["fd"] is not None:
            sock = socket.socket(fileno=options["fd"])
        else:
            sock = socket.create_server(("127.0.0.1", options["port"]))
        port = sock.getsockname()[1]
        self.stdout.write(f"issuer http://127.0.0.1:{port}/openid", ending="\n")
        self.stdout.flush()
        self._serve(sock, port)

    @staticmethod
    def _user(username: str, name: str, id_number: str) -> None:
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(DEMO_PASSWORD)
        user.save()
        Identity.objects.update_or_create(
            user=user, defaults={"name": name, "id_number": id_number}
        )

    @staticmethod
    def _client(rps: list[str]) -> None:
        client, _ = Client.objects.update_or_create(
            client_id=CLIENT_ID,
            defaults={
                "name": "LifeCert (development)",
                "client_type": "confidential",
                "client_secret": CLIENT_SECRET,
                "jwt_alg": "RS256",
                "require_consent": False,
                "reuse_consent": True,
            },
        )
        client.redirect_uris = [
            f"{rp.rstrip('/')}/accounts/oidc/callback/" for rp in rps
        ]
        client.post_logout_redirect_uris = [f"{rp.rstrip('/')}/" for rp in rps]
        client.save()
        code, _ = ResponseType.objects.get_or_create(value="code")
        client.response_types.set([code])

    @staticmethod
    def _serve(sock: socket.socket, port: int) -> None:
        server = ThreadedWSGIServer(
            ("127.0.0.1", port), WSGIRequestHandler, bind_and_activate=False
        )
        server.socket.close()
        server.socket = sock
        server.server_name, server.server_port = "127.0.0.1", port
        server.setup_environ()
        server.set_app(get_wsgi_application())
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
