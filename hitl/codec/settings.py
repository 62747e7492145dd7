"""The browser origins the codec server's CORS admits (its settings: `hitl.settings.CodecServerSettings`)."""

from urllib.parse import urlsplit


def ui_origins(ui_url: str) -> list[str]:
    """The browser origins of a Web UI address: as given, plus its localhost/127.0.0.1 twin."""
    parts = urlsplit(ui_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    twins = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
    twin = twins.get(parts.hostname or "")
    if twin is None:
        return [origin]
    return [origin, origin.replace(f"//{parts.hostname}", f"//{twin}", 1)]
