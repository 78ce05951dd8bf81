"""The HTML report (issue 5): self-contained (no external resource, figures as PNG data URIs), and it
opens in a headless browser with its figures present.

The browser is Chromium from the distribution's packages. If it is missing, the set-up installs it
(``apt-get install -y chromium``) when running as root with apt-get available and ``NTK_INSTALL_BROWSER``
is not ``0``; otherwise — or if the installation fails — the browser tests are skipped with the reason.
"""

from __future__ import annotations

import base64
import fcntl
import io
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from .test_reports import small_run

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DATA_URI = re.compile(r'<img[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _find_browser() -> str | None:
    for b in BROWSERS:
        p = shutil.which(b)
        if p:
            return p
    return None


def _install_browser() -> str:
    """Install Chromium with apt-get (serialized across xdist workers by a lock file); '' on success,
    else the reason."""
    if os.environ.get("NTK_INSTALL_BROWSER", "1") == "0":
        return "NTK_INSTALL_BROWSER=0"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not root, cannot apt-get install chromium"
    if shutil.which("apt-get") is None:
        return "apt-get not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open("/tmp/ntkverify-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _find_browser():
            return ""
        cmds = [["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                ["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]]
        last = ""
        for cmd in cmds:
            try:
                p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
            except (subprocess.TimeoutExpired, OSError) as exc:
                return f"{' '.join(cmd)}: {exc}"
            last = (p.stdout + p.stderr)[-300:]
            if cmd[1] == "install" and p.returncode == 0 and _find_browser():
                return ""
        return f"apt-get install chromium failed: {last.strip()}"


@pytest.fixture(scope="session")
def browser():
    path = _find_browser()
    if path is None:
        reason = _install_browser()
        path = _find_browser()
        if path is None:
            pytest.skip(f"no headless browser (chromium) available: {reason or 'not found after installation'}")
    return path


@pytest.fixture(scope="module")
def html_report(tmp_path_factory):
    from reports.render import build_report, write_report
    from theorems.records import merge_records

    d = tmp_path_factory.mktemp("html")
    small_run(d / "results")
    report, figs = build_report(list(merge_records(d / "results")))
    out = write_report(report, figs, d / "report")
    return {"report": report, "path": out / "report.html", "dir": d}


def _chromium(browser, tmp, *args, timeout=90):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
           "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _png_ok(data: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return mpimg.imread(io.BytesIO(data), format="png")


def test_html_is_self_contained(html_report):
    html = html_report["path"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # no external resource: no script, no stylesheet link, no remote or file URL in src/href
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "@import" not in html and "url(" not in html
    imgs = DATA_URI.findall(html)
    assert len(imgs) == len(html_report["report"]["figures"]) >= 3
    for b64 in imgs:
        img = _png_ok(base64.b64decode(b64))
        assert img.shape[0] > 100 and img.shape[1] > 300
    # the verdict table, controls, constants and a replay command for the refuted check are there
    for text in ("Needs attention", "Negative controls", "Named constants", "THM32_LOWER", "--ntk-replay", "Clopper",
                 "Per-statement summary", 'id="statement-summary"', "Planted false variants", "WARNING: not refuted",
                 "planted false variants: refuted 1/2", "v5: verified 5, not refuted 1, inconclusive 1, refuted 1"):
        assert text in html, text
    # the new verdicts have their own badges; no bare overall verdict in the header
    for cls in ("b-verified", "b-not-refuted", "b-inconclusive", "b-refuted", "b-detected", "b-reported"):
        assert f'class="badge {cls}"' in html, cls
        assert f".{cls} " in html, cls  # styled
    assert "overall" not in html.lower()
    # every check row shows its power (a power column beside the verdict)
    assert html.count("<th>power</th>") >= 3 and "failure rate 0.0999" in html


def test_html_opens_in_headless_browser_with_figures(browser, html_report, tmp_path):
    url = html_report["path"].resolve().as_uri()
    p = _chromium(browser, tmp_path, "--dump-dom", url)
    assert p.returncode == 0, p.stderr[-2000:]
    dom = p.stdout
    assert "ntkverify" in dom and "Thm 3.2" in dom
    imgs = DATA_URI.findall(dom)
    assert len(imgs) == len(html_report["report"]["figures"])
    for b64 in imgs:
        _png_ok(base64.b64decode(b64))
    shot = tmp_path / "shot.png"
    p = _chromium(browser, tmp_path, "--window-size=1280,2400", f"--screenshot={shot}", url)
    assert p.returncode == 0 and shot.is_file(), p.stderr[-2000:]
    img = _png_ok(shot.read_bytes())[..., :3]
    # not blank: many distinct colours and real contrast (text, badges, plotted figures)
    flat = (img.reshape(-1, 3) * 255).astype(np.uint8)
    assert len(np.unique(flat[:: 7], axis=0)) > 50
    assert float(img.std()) > 0.05
    # the dark header band is at the top (the page rendered with its styles, not as raw text)
    assert float(img[:40].mean()) < 0.3
