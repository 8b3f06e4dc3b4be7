"""The kiosk's languages: one message catalog per language, one way to look text up.

Every word the kiosk shows comes from `kiosk_ui/messages/<locale>.json`, a flat map of
key -> text with `{name}` placeholders. Jinja templates call `t("key", name=...)`; the
JavaScript modules get the same catalog in the page and call `t("key", {name})` with the
same placeholder rules, so a text is translated once for both.

Which language: the cashier's own (`cashier.locale`) if set, else the store's
(`config.store.locale`); pages nobody is logged in on (lock screen, customer display) use
the store's. A locale without a catalog falls back to one of the same language, then to
English.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

MESSAGES_DIR = Path(__file__).parent / "messages"
#: the catalogs shipped, and the name each language has in itself (for the language menus)
LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
FALLBACK = "en"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=None)
def messages(locale: str) -> dict[str, str]:
    """The catalog of a shipped locale (read once per process; it is part of the release)."""
    if locale not in LANGUAGES:
        raise KeyError(f"no message catalog for {locale!r}")
    with open(MESSAGES_DIR / f"{locale}.json", encoding="utf-8") as handle:
        return json.load(handle)


def supported(requested: str | None) -> str | None:
    """The shipped locale for `requested` ('zh-CN', 'zh', 'en-GB'...), or None."""
    if not requested:
        return None
    if requested in LANGUAGES:
        return requested
    language = requested.split("-")[0].lower()
    for locale in LANGUAGES:
        if locale.split("-")[0].lower() == language:
            return locale
    return None


def choose_locale(store_locale: str, cashier_locale: str | None = None) -> str:
    return supported(cashier_locale) or supported(store_locale) or FALLBACK


def render(text: str, params: dict) -> str:
    return _PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), text)


class Translator:
    """`t(key, **params)` for one locale; a key missing from the catalog shows as itself
    (the catalog tests catch that before a release)."""

    def __init__(self, locale: str):
        self.locale = locale
        self.messages = messages(locale)

    def __call__(self, key: str, **params) -> str:
        return render(self.messages.get(key, key), params)
