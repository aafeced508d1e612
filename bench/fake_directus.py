#!/usr/bin/env python3
"""A large Directus catalog for the scale benchmarks (bench/large-catalog.sh), on loopback only.

Generated, seeded data shaped like Directus' answers (see Tests/Support/Fixtures/directus):
CATEGORIES categories and PRODUCTS products with realistic descriptions (a few KB of HTML),
spec tables and image ids. Serves GET /items/{categories|products} with limit, page,
filter[status][_eq], filter[slug][_eq], filter[id][_in] (relations expanded as the site asks), GET
/items/products/{id}, and GET /assets/{id}; every answer waits LATENCY_MS first. GET /_stats
prints the requests served by path as JSON (reads by id as "/items/products?ids").

    fake_directus.py PORT [PRODUCTS] [LATENCY_MS]
"""
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
latency = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000
random.seed(20261130)

kinds = ["Токарный станок", "Фрезерный станок", "Сверлильный станок", "Пресс гидравлический", "Ленточнопильный станок",
         "Шлифовальный станок", "Листогиб", "Гильотина", "Координатно-расточной станок", "Зубофрезерный станок"]
categories = [{"id": i + 1, "status": "published", "sort": i + 1, "name": kind + "и" if kind.endswith("к") else kind,
               "slug": f"kategoriya-{i + 1}", "parent": None, "description": None} for i, kind in enumerate(kinds)]
lock = threading.Lock()
stats = {}


def product(i):
    kind = kinds[i % len(kinds)]
    files = [f"{i:08x}-0000-4000-8000-{j:012x}" for j in range(3)]
    paragraphs = "".join(
        f"<p>{kind} модели M{i} предназначен для обработки деталей в условиях единичного и серийного производства. "
        f"Жёсткая станина, закалённые направляющие, система ЧПУ, защита зоны резания, пункт {k}.</p>" for k in range(12))
    return {
        "id": i, "status": "published", "sort": i, "name": f"{kind} M{i}", "slug": f"{kinds.index(kind)}-stanok-m{i}",
        "sku": f"M{i}-{random.randint(100, 999)}", "price": None if i % 7 == 0 else f"{random.randint(150, 9000) * 1000}.00",
        "currency": "RUB", "availability": "В наличии" if i % 3 else "Под заказ", "category": categories[i % len(kinds)],
        "hero_image": {"id": files[0], "width": 1600, "height": 1200, "title": kind},
        "images": [{"directus_files_id": {"id": f, "width": 1600, "height": 1200, "title": kind}} for f in files[1:]],
        "description": f"<h2>{kind} M{i}</h2>{paragraphs}<ul><li>Мощность {random.randint(3, 40)} кВт</li></ul>",
        "specs": [{"name": n, "value": str(random.randint(10, 5000)), "unit": u} for n, u in
                  [("Мощность", "кВт"), ("Масса", "кг"), ("Длина", "мм"), ("Ширина", "мм"), ("Высота", "мм"), ("Точность", "мкм")]],
        "date_created": "2025-02-14T09:12:44.000Z", "date_updated": "2025-03-01T10:00:00.000Z",
    }


products = [product(i) for i in range(1, count + 1)]
by_slug = {p["slug"]: p for p in products}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json; charset=utf-8"):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/_stats":
            with lock:
                return self.reply(200, stats)
        with lock:
            # Reads of products by id (descriptions for pages) are counted apart from list pages.
            key = url.path if not url.path.startswith("/assets/") else "/assets/"
            if "filter[id][_in]" in query:
                key += "?ids"
            stats[key] = stats.get(key, 0) + 1
        time.sleep(latency)
        parts = url.path.strip("/").split("/")
        if parts[0] == "assets":
            return self.reply(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, "image/png")
        if parts[0] != "items" or len(parts) < 2 or parts[1] not in ("products", "categories"):
            return self.reply(404, {"errors": [{"message": "Route doesn't exist.", "extensions": {"code": "ROUTE_NOT_FOUND"}}]})
        rows = products if parts[1] == "products" else categories
        if len(parts) == 3:
            item = next((r for r in rows if str(r["id"]) == parts[2]), None)
            if item is None:
                return self.reply(403, {"errors": [{"message": "You don't have permission to access this.", "extensions": {"code": "FORBIDDEN"}}]})
            return self.reply(200, {"data": item})
        if "filter[slug][_eq]" in query:
            rows = [by_slug[query["filter[slug][_eq]"]]] if query["filter[slug][_eq]"] in by_slug else []
        if "filter[id][_in]" in query:
            wanted = set(query["filter[id][_in]"].split(","))
            rows = [r for r in rows if str(r["id"]) in wanted]
        limit = int(query.get("limit", "100"))
        if limit >= 0:
            page = max(1, int(query.get("page", "1")))
            rows = rows[(page - 1) * limit: page * limit]
        return self.reply(200, {"data": rows})


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
