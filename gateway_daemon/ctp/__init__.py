"""The CTP sessions (openctp-ctp): market data (``md_session``) and trading (``td_session``).

Import ``gateway_daemon.ctp.api`` (which imports openctp-ctp) only after
``locale_guard.require_ctp_locale()``: without the zh_CN.GB18030 locale the
CTP library aborts the whole process on import.
"""
