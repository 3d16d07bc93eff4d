"""The test OpenID Connect provider (``provider.py``), started as a separate process on loopback."""

import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "guichet-tests"
CLIENT_SECRET = "secret-de-test-du-client-guichet"
REDIRECT_URI = "http://testserver/compte/franceconnect/retour/"
POST_LOGOUT_URI = "http://testserver/"


class ProviderProcess:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.oidc_provider.provider",
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
                "--redirect-uri",
                REDIRECT_URI,
                "--post-logout-uri",
                POST_LOGOUT_URI,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the test OIDC provider did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"{self.url}/.well-known/openid-configuration", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def admin(self, action: str, payload: dict | None = None) -> dict:
        response = requests.post(f"{self.url}/_admin/{action}", json=payload or {}, timeout=5)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict:
        return requests.get(f"{self.url}/_admin/state", timeout=5).json()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
