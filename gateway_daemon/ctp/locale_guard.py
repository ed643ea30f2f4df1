"""The CTP libraries abort the process (C++ ``std::runtime_error``) when the zh_CN.GB18030 locale is
missing; check it first and fail with a message that says how to fix it."""
from __future__ import annotations

import locale

CTP_LOCALE = "zh_CN.GB18030"


class CtpLocaleMissing(RuntimeError):
    pass


def locale_available(name: str = CTP_LOCALE) -> bool:
    previous = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, name)
    except locale.Error:
        return False
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
    return True


def require_ctp_locale(name: str = CTP_LOCALE) -> None:
    """Raise CtpLocaleMissing (instead of letting openctp abort the process) when ``name`` is absent."""
    if not locale_available(name):
        raise CtpLocaleMissing(
            f"the {name} locale is missing and the CTP library would abort without it; on Debian/Ubuntu: "
            f"apt-get install locales && echo '{name} GB18030' >> /etc/locale.gen && locale-gen "
            "(the daemon's Dockerfile does this)")
