"""Fill a .po catalog's translations from a JSON object {msgid: msgstr} (developers' tool).

    .venv/bin/python tools/po_fill.py translations/zh_Hans_CN/LC_MESSAGES/messages.po zh.json

Existing translations are overwritten by the JSON's; msgids the catalog lacks are reported.
"""
import json
import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, json_path: str) -> None:
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    wanted = json.load(open(json_path, encoding="utf-8"))
    unknown = []
    for msgid, msgstr in wanted.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = msgstr
        message.flags.discard("fuzzy")
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True, no_location=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {len(wanted) - len(unknown)}; not in catalog: {len(unknown)}; still untranslated: {len(missing)}")
    for msgid in unknown:
        print("  not in catalog:", msgid)
    for msgid in missing:
        print("  untranslated:", msgid)


if __name__ == "__main__":
    main(*sys.argv[1:3])
