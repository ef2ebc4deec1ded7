"""A seller's ready posts as an Atom feed (RFC 4287). Pure: library items in, XML bytes out."""
from __future__ import annotations

from datetime import datetime
from html import escape
from xml.etree.ElementTree import Element, SubElement, tostring

ATOM = "http://www.w3.org/2005/Atom"


def _entry_html(item: dict) -> str:
    parts = [f"<p>{escape(line)}</p>" for line in item["text"].split("\n") if line.strip()]
    parts += [f'<p><img src="{escape(i["url"])}" width="{i["width"]}" height="{i["height"]}" alt=""/></p>'
              for i in item["images"]]
    return "".join(parts)


def atom_feed(feed_id: str, title: str, self_url: str, updated: datetime, items: list[dict]) -> bytes:
    """The feed; each item (a live library item) becomes one entry with its text, images and link."""
    feed = Element("feed", xmlns=ATOM)
    SubElement(feed, "id").text = feed_id
    SubElement(feed, "title").text = title
    SubElement(feed, "updated").text = updated.isoformat()
    SubElement(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    SubElement(SubElement(feed, "author"), "name").text = "Sharecast"
    for item in items:
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = (f"{feed_id}:publication:{item['publication_id']}"
                                        f":v{item['content_version']}")
        SubElement(entry, "title").text = f"{item['campaign_title']} · {item['name']}"
        SubElement(entry, "updated").text = item["published_at"]
        SubElement(entry, "published").text = item["published_at"]
        SubElement(entry, "category", term=item["channel"], label=item["name"])
        if item["link"]:
            SubElement(entry, "link", rel="alternate", href=item["link"])
        for image in item["images"]:
            SubElement(entry, "link", rel="enclosure", href=image["url"], type=image["media_type"])
        SubElement(entry, "content", type="html").text = _entry_html(item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(feed, encoding="utf-8", xml_declaration=False)
