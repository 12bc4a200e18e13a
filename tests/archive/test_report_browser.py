"""tsarchive report as a person sees it: headless Chromium (Debian `chromium`) renders the HTML
report of samples/energy.lp to a PNG screenshot and to a PDF. The PNG must be a valid image of
the window's size with real content; the PDF's text (pdftotext, Debian `poppler-utils`) must
hold the right counts, the manifest's and every file's SHA-256 (the collapsed <details> print
open) and must run over more than one page (sections start on a new page).

Chromium or pdftotext missing is a FAILURE (CI installs both through scripts/deps.sh), unless
TSARCHIVE_ALLOW_SKIP_BROWSER=1."""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

SRC = os.environ.get("TSARCHIVE_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import run_tsarchive  # noqa: E402

WIDTH, HEIGHT = 1200, 1600
BROWSER_TIMEOUT = 90


def find_browser():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def need(tool):
    if tool:
        return tool
    if os.environ.get("TSARCHIVE_ALLOW_SKIP_BROWSER") == "1":
        raise unittest.SkipTest("chromium/poppler-utils not installed (TSARCHIVE_ALLOW_SKIP_BROWSER=1)")
    raise AssertionError("chromium and poppler-utils are required for this test: run scripts/deps.sh "
                         "(or set TSARCHIVE_ALLOW_SKIP_BROWSER=1 to skip)")


def chromium(browser, profile, *args):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
           "--no-first-run", "--disable-extensions", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           "--force-device-scale-factor=1"] + list(args)
    env = dict(os.environ, HOME=profile)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=BROWSER_TIMEOUT,
                       env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def png_info(data):
    """Checks the PNG structure (signature, chunk CRCs, IHDR, IDAT inflating to exactly the
    image's size) -> (width, height, compressed IDAT bytes, inflated pixel bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, ihdr, idat = 8, None, b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) == crc, "bad CRC in chunk %r" % kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    assert ihdr, "no IHDR"
    w, h, depth, ctype = ihdr[:4]
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    assert depth == 8, depth
    assert len(raw) == h * (1 + w * channels), (len(raw), w, h, channels)
    return w, h, len(idat), raw


class ReportInBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tsa-report-browser-")
        cls.root = os.path.join(cls.tmp, "arc")
        rc, out, err = run_tsarchive(["export", "--from", os.path.join(SRC, "samples", "energy.lp"),
                                      "--database", "energy_demo", "--to", cls.root])
        assert rc == 0, out + err
        rc, out, err = run_tsarchive(["verify", cls.root])
        assert rc == 0, out + err
        cls.html = os.path.join(cls.tmp, "report.html")
        rc, out, err = run_tsarchive(["report", cls.root, "-o", cls.html])
        assert rc == 0, out + err
        mp = os.path.join(cls.root, "timestream-archive", "energy_demo", "export_metadata.json")
        with open(mp, "rb") as f:
            raw = f.read()
        cls.manifest = json.loads(raw)
        cls.manifest_sha = hashlib.sha256(raw).hexdigest()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_screenshot(self):
        browser = need(find_browser())
        png = os.path.join(self.tmp, "shot.png")
        rc, out, err = chromium(browser, tempfile.mkdtemp(dir=self.tmp),
                                "--window-size=%d,%d" % (WIDTH, HEIGHT), "--screenshot=" + png,
                                "file://" + self.html)
        self.assertEqual(rc, 0, err[-2000:])
        with open(png, "rb") as f:
            data = f.read()
        w, h, idat, raw = png_info(data)
        self.assertEqual((w, h), (WIDTH, HEIGHT))
        # A blank page compresses to a few kB; this one has text, tables and a chart.
        self.assertGreater(idat, 40000, "the screenshot looks empty (%d bytes of image data)" % idat)
        self.assertGreater(len(set(raw[::97])), 16, "the screenshot has almost no distinct values")

    def test_pdf(self):
        browser = need(find_browser())
        pdftotext = need(shutil.which("pdftotext"))
        pdf = os.path.join(self.tmp, "report.pdf")
        rc, out, err = chromium(browser, tempfile.mkdtemp(dir=self.tmp), "--no-pdf-header-footer",
                                "--print-to-pdf=" + pdf, "file://" + self.html)
        self.assertEqual(rc, 0, err[-2000:])
        with open(pdf, "rb") as f:
            self.assertEqual(f.read(5), b"%PDF-")
        p = subprocess.run([pdftotext, "-layout", pdf, "-"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        text = p.stdout.decode("utf-8", "replace")
        words = " ".join(text.split())
        self.assertIn("Decommissioning record", words)
        total = self.manifest["totals"]["records"]
        self.assertIn("{:,} records in 1 table of 1 database".format(total), words)
        for t in self.manifest["tables"]:
            self.assertIn("Table energy_demo." + t["name"], words)
            for fl in t["files"]:
                row = "%s %s %s %s" % (fl["min_time"][:7], "{:,}".format(fl["record_count"]),
                                       fl["min_time"], fl["max_time"])
                self.assertIn(row, words, "month row missing from the PDF text:\n" + text[:4000])
                self.assertIn(fl["sha256"], words.replace(" ", ""))
        self.assertIn(self.manifest_sha, words.replace(" ", ""))
        pages = text.count("\f")
        self.assertGreaterEqual(pages, 3, "expected sections on their own pages, got %d" % pages)


if __name__ == "__main__":
    unittest.main()
