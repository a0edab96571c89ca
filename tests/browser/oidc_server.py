"""A small OpenID Connect provider on loopback for browser journeys through st.login.

Discovery document, an authorize endpoint that signs in at once as `email` and redirects back
with a code, a token endpoint that answers with an RS256 id_token (joserfc), the JWKS and an
end-session endpoint. Like the mock server of Streamlit's own end-to-end suite.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "crm-affaires"
CLIENT_SECRET = "secret-de-test"


class OidcServer:
    """The provider; set `email` (and `name`) to choose who the next sign-in is."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test", "use": "sig"})
        self.email = "personne@exemple.fr"
        self.name = "Personne"
        self._codes: dict[str, dict[str, Any]] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def secrets_toml(self, app_url: str) -> str:
        """The `[auth]` section that points Streamlit at this provider."""
        return (
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{self.url}/.well-known/openid-configuration"\n'
        )

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def _authorize(self, query: dict[str, str]) -> str:
        code = secrets.token_urlsafe(16)
        self._codes[code] = {"nonce": query.get("nonce"), "email": self.email, "name": self.name}
        back = {"code": code, "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urlencode(back)}"

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        grant = self._codes.pop(form["code"])
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": grant["email"],
            "iat": now,
            "exp": now + 3600,
            "nonce": grant["nonce"],
            "email": grant["email"],
            "email_verified": True,
            "name": grant["name"],
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test"}, claims, self.key)
        return {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": id_token,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/.well-known/openid-configuration":
                    self._json(provider._discovery())
                elif parts.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif parts.path == "/authorize":
                    self._redirect(provider._authorize(query))
                elif parts.path == "/logout" and "post_logout_redirect_uri" in query:
                    self._redirect(query["post_logout_redirect_uri"])
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/token" and form.get("code") in provider._codes:
                    self._json(provider._token(form))
                else:
                    self.send_error(400)

        return Handler
