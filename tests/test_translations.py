"""Every page text has a Chinese translation, and the compiled catalog matches its source."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
SKIP = {".venv", "tests", "bench", "migrations", "tools", "instance", ".screenshots"}


def source_messages() -> set[str]:
    found = set()
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords=keywords,
            callback=None, strip_comment_tags=True,
            directory_filter=lambda d: Path(d).name not in SKIP and not Path(d).name.startswith(".")):
        found.add(message if isinstance(message, str) else message[0])
    return {m for m in found if m}


def test_every_page_text_is_translated_to_chinese():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    def translated(message) -> bool:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return all(strings)

    missing = sorted(m for m in source_messages() if not (catalog.get(m) and translated(catalog.get(m))))
    assert missing == [], "run tools/i18n and translate: " + "; ".join(missing[:20])


def test_compiled_catalog_matches_its_source():
    with PO.open("rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if m.id}
    with MO.open("rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert mo == po, "translations/…/messages.mo is stale: run tools/i18n"


def test_placeholders_survive_translation():
    import re

    with PO.open("rb") as fh:
        for message in read_po(fh):
            if message.id and message.string and isinstance(message.id, str):
                names = sorted(re.findall(r"%\((\w+)\)s", message.id))
                assert sorted(re.findall(r"%\((\w+)\)s", message.string)) == names, message.id
