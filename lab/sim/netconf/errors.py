"""RFC 6241 ``<rpc-error>``: error-type, error-tag, error-severity, error-path, error-message,
error-info."""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from lab.sim.config.model import ConfigError
from lab.sim.config.xml import NC, PREFIXES, XmlDataError, model_path_to_xpath, q


class RpcError(Exception):
    def __init__(
        self,
        tag: str,
        message: str,
        *,
        type: str = "application",
        path: str = "",
        info: Mapping[str, str] | None = None,
        app_tag: str = "",
    ):
        super().__init__(message)
        self.tag = tag
        self.message = message
        self.type = type
        self.path = path
        self.info = dict(info or {})
        self.app_tag = app_tag

    def to_xml(self) -> etree._Element:
        err = etree.Element(q(NC, "rpc-error"), nsmap={None: NC})
        etree.SubElement(err, q(NC, "error-type")).text = self.type
        etree.SubElement(err, q(NC, "error-tag")).text = self.tag
        etree.SubElement(err, q(NC, "error-severity")).text = "error"
        if self.app_tag:
            etree.SubElement(err, q(NC, "error-app-tag")).text = self.app_tag
        if self.path:
            # The prefixes an error-path uses must be declared on it (RFC 6241 4.3).
            used = {ns: p for ns, p in PREFIXES.items() if f"{p}:" in self.path and ns != NC}
            el = etree.SubElement(err, q(NC, "error-path"), nsmap={p: ns for ns, p in used.items()})
            el.text = self.path
        msg = etree.SubElement(err, q(NC, "error-message"))
        msg.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        msg.text = self.message
        if self.info:
            info = etree.SubElement(err, q(NC, "error-info"))
            for k, v in self.info.items():
                etree.SubElement(info, q(NC, k)).text = v
        return err


def from_config_error(exc: ConfigError, default_tag: str = "invalid-value") -> RpcError:
    """A model or XML error as one rpc-error: the first problem's tag and path, and every
    problem in the message (one error per reply keeps simple clients simple)."""
    if isinstance(exc, XmlDataError):
        info = {"bad-element": exc.bad_element} if exc.bad_element else {}
        return RpcError(exc.tag, str(exc), path=exc.xpath, info=info)
    first = exc.issues[0] if exc.issues else None
    tag = first.tag if first is not None else default_tag
    app_tag = (
        "instance-required"
        if tag == "data-missing"
        else ("data-not-unique" if "already used" in str(exc) else "")
    )
    path = model_path_to_xpath(first.path) if first is not None else ""
    return RpcError(tag, str(exc), path=path, app_tag=app_tag)
