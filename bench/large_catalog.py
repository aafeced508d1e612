#!/usr/bin/env python3
"""The 10,000-product benchmark: catalog-bff (release build) on a loopback Directus of
PRODUCTS generated products (bench/fake_directus.py, 50 ms per answer).

Measures start-up to the first catalog page, a crawl of every catalog list page and of
PRODUCT_PAGES product pages (every answer must be 200), resident memory after the crawl,
cold bursts: 500 connections opened first, then one request each, at once, for a product
page not rendered yet (p50, p99, Directus requests it cost; the median of three), and RSS
while the whole list is reloaded every REFRESH_SECONDS (10). Prints a table and writes
bench/results/large-catalog.json. Run by `make bench` (bench/large-catalog.sh builds first).
"""
import asyncio
import json
import re
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PRODUCTS = int(os.environ.get("PRODUCTS", "10000"))
PRODUCT_PAGES = int(os.environ.get("PRODUCT_PAGES", "2000"))
REFRESH_SECONDS, REFRESHES = int(os.environ.get("REFRESH_SECONDS", "10")), 4
FAKE_PORT, BFF_PORT = 18201, 18202
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))


def get(path, timeout=30):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{BFF_PORT}{path}", timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return 0


def load(path, seconds=10, clients=8):
    """`clients` threads asking for path(n), n = 0, 1, … (each its own run of n), for `seconds`:
    answers per second, p50 and p99 in ms."""
    latencies = []
    def worker(index):
        deadline = time.perf_counter() + seconds
        n = index * 1_000_003  # clients start at different paths
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            get(path(n))
            latencies.append((time.perf_counter() - t) * 1000)
            n += 1
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    latencies.sort()
    return len(latencies) / seconds, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]


def stats():
    with urllib.request.urlopen(f"http://127.0.0.1:{FAKE_PORT}/_stats") as response:
        return json.load(response)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024


async def burst(path, n=500):
    connections = []
    for _ in range(n):
        connections.append(await asyncio.open_connection("127.0.0.1", BFF_PORT))
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()

    async def one(reader, writer):
        start = time.perf_counter()
        writer.write(request)
        await writer.drain()
        head = await reader.readline()
        await reader.read()
        writer.close()
        return time.perf_counter() - start, head

    results = await asyncio.gather(*(one(r, w) for r, w in connections))
    times = sorted(t for t, _ in results)
    ok = sum(1 for _, head in results if b" 200 " in head)
    return ok, times[len(times) // 2] * 1000, times[int(len(times) * 0.99) - 1] * 1000


def main():
    work = tempfile.mkdtemp()
    fake = subprocess.Popen([sys.executable, os.path.join(root, "bench/fake_directus.py"), str(FAKE_PORT), str(PRODUCTS), "50"])
    time.sleep(3 + PRODUCTS / 5000)
    # Lists are read again every REFRESH_SECONDS: after the burst the server idles through several
    # reloads of the whole catalog, and its RSS must not climb with them.
    env = dict(os.environ, PORT=str(BFF_PORT), LOG_LEVEL="info", DIRECTUS_URL=f"http://127.0.0.1:{FAKE_PORT}",
               CATALOG_FRESH_SECONDS=str(REFRESH_SECONDS),
               DATABASE_URL=f"sqlite://{work}/db.sqlite", MAIL_DIR=f"{work}/mail", ASSET_CACHE_DIR=f"{work}/assets")
    started = time.perf_counter()
    # WRAP="heaptrack -o /tmp/bff" runs the server under a profiler (RSS then includes its cost).
    wrap = os.environ.get("WRAP", "").split()
    server_log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(wrap + [os.path.join(root, ".build/release/catalog-bff"), "serve"], env=env, cwd=root,
                              stdout=server_log, stderr=subprocess.STDOUT)
    try:
        while get("/catalog", timeout=60) != 200:
            if time.perf_counter() - started > 120:
                raise SystemExit("catalog-bff did not serve /catalog within 120 s")
            time.sleep(0.05)
        ready = time.perf_counter() - started
        list_pages = [f"/catalog?page={p}" for p in range(1, (PRODUCTS + 23) // 24 + 1)]
        for category in range(1, 11):
            per = (PRODUCTS + 9) // 10
            list_pages += [f"/catalog/kategoriya-{category}" + (f"?page={p}" if p > 1 else "") for p in range(1, (per + 23) // 24 + 1)]
        kinds = 10
        product_pages = [f"/product/{i % kinds}-stanok-m{i}" for i in range(1, PRODUCT_PAGES + 1)]
        crawl_start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(get, list_pages + product_pages))
        crawl = time.perf_counter() - crawl_start
        bad = [(path, status) for path, status in zip(list_pages + product_pages, statuses) if status != 200]
        # The pages carry their whole descriptions (the last paragraph), not just the excerpt.
        for i in range(1, PRODUCT_PAGES + 1, max(1, PRODUCT_PAGES // 20)):
            with urllib.request.urlopen(f"http://127.0.0.1:{BFF_PORT}/product/{i % kinds}-stanok-m{i}", timeout=30) as response:
                page = response.read().decode()
            if f"модели M{i} " not in page or "пункт 11.</p>" not in page:
                raise SystemExit(f"/product/{i % kinds}-stanok-m{i} lacks its whole description")
        rss = rss_mb(server.pid)
        # Search on the whole catalog (never cached: every query is new): word forms, a model
        # code, a typo, the other keyboard layout, two words in any order.
        queries = ["токарные", "станок фрезерный", f"m{PRODUCTS // 2}", "сверлилный", "ghtcc", "пресс гидравлический",
                   "ленточнопильные станки", "станок"]
        search_paths = [f"/api/products?q={urllib.parse.quote(q)}" for q in queries]
        for path in search_paths:
            if get(path) != 200:
                raise SystemExit(f"{path} did not answer 200")
        search_qps, search_p50, search_p99 = load(lambda n: search_paths[n % len(search_paths)])
        # Spec filters on a category of PRODUCTS / 10 (six shared number specs each): every bound
        # is new, so no answer is a cache hit; the first per category works out its facets.
        filter_first = []
        for category in range(1, 11):
            t = time.perf_counter()
            status = get(f"/catalog/kategoriya-{category}?spec.moshchnost.from=100")
            filter_first.append((time.perf_counter() - t) * 1000)
            if status != 200:
                raise SystemExit(f"the spec filter on kategoriya-{category} answered {status}")
        filter_qps, filter_p50, filter_p99 = load(
            lambda n: f"/catalog/kategoriya-{n % 10 + 1}?stock=1&spec.moshchnost.from={n % 4000}&spec.massa.to={5000 - n % 3000}&sort=price")
        server_log.flush()
        builds = [int(m.group(1)) for line in open(os.path.join(work, "server.log")) if "catalog index built" in line
                  for m in [re.search(r"\bms=(\d+)", line)] if m]
        # Each build's pages digested and compared with the record (sitemap lastmod, IndexNow).
        compares = [int(m.group(1)) for line in open(os.path.join(work, "server.log")) if "pages compared" in line
                    for m in [re.search(r"\bms=(\d+)", line)] if m]
        # What the burst costs: reads of the product (its description), not list reloads that
        # happen to fall due meanwhile.
        def product_reads():
            return sum(v for k, v in stats().items() if k.startswith("/items/") and k != "/items/products" and k != "/items/categories")
        # Three bursts on three products, the median reported: a list reload that falls due
        # meanwhile (every REFRESH_SECONDS) takes a core for a second and would decide a single one.
        runs = []
        for n in (PRODUCTS, PRODUCTS - 1, PRODUCTS - 2):
            before = product_reads()
            ok, p50, p99 = asyncio.run(burst(f"/product/{n % kinds}-stanok-m{n}"))
            runs.append((ok, p50, p99, product_reads() - before))
        runs.sort(key=lambda run: run[1])
        ok, p50, p99, directus = runs[1]
        ok = min(run[0] for run in runs)
        directus = max(run[3] for run in runs)
        lists_before = stats().get("/items/products", 0)
        # A stale list is reloaded on the request after it goes stale: ask once a second meanwhile.
        rss_samples = []
        deadline = time.perf_counter() + REFRESH_SECONDS * REFRESHES
        while time.perf_counter() < deadline:
            get("/catalog")
            rss_samples.append(rss_mb(server.pid))
            time.sleep(1)
        reloads = (stats().get("/items/products", 0) - lists_before) // ((PRODUCTS + 249) // 250)
        rss_after_refreshes = rss_mb(server.pid)
        result = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": f"{os.uname().sysname} {os.uname().release}, {os.cpu_count()} cores",
            "products": PRODUCTS, "ready_s": round(ready, 2), "pages_crawled": len(statuses), "pages_not_200": len(bad),
            "crawl_s": round(crawl, 1), "rss_after_crawl_mb": rss, "burst_ok": ok, "burst_p50_ms": round(p50, 1),
            "burst_p99_ms": round(p99, 1), "burst_directus_requests": directus,
            "burst_p50s_ms": [round(run[1], 1) for run in runs],
            "list_reloads": reloads, "rss_after_reloads_mb": rss_after_refreshes, "rss_max_during_reloads_mb": max(rss_samples),
            "search_qps": round(search_qps, 1), "search_p50_ms": round(search_p50, 1), "search_p99_ms": round(search_p99, 1),
            "index_build_ms": builds, "pages_compare_ms": compares,
            "spec_filter_qps": round(filter_qps, 1), "spec_filter_p50_ms": round(filter_p50, 1),
            "spec_filter_p99_ms": round(filter_p99, 1), "spec_filter_first_ms": [round(ms) for ms in filter_first],
        }
        print(f"{PRODUCTS} products: first /catalog after {ready:.1f} s; crawled {len(statuses)} pages in {crawl:.0f} s, "
              f"{len(bad)} not 200 {bad[:3]}; RSS {rss} MB after the crawl")
        print(f"cold burst of 500 on an unrendered product (median of 3): {ok} × 200 (fewest), p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
              f"{directus} Directus requests (most); all p50s {[round(run[1]) for run in runs]} ms")
        print(f"search on {PRODUCTS} products (8 clients, {len(queries)} queries, never cached): {search_qps:.0f} queries/s, "
              f"p50 {search_p50:.1f} ms, p99 {search_p99:.1f} ms; index builds (catalog and search) {builds} ms; "
              f"pages compared with the record {compares} ms")
        print(f"spec filters on categories of {PRODUCTS // 10} (8 clients, every bound new, no cache hits): {filter_qps:.0f} pages/s, "
              f"p50 {filter_p50:.1f} ms, p99 {filter_p99:.1f} ms; first filtered page per category (facets worked out) "
              f"{[round(ms) for ms in filter_first]} ms")
        print(f"{reloads} reloads of the whole list: RSS {rss_after_refreshes} MB after them (at most {max(rss_samples)} MB meanwhile)")
        os.makedirs(os.path.join(root, "bench/results"), exist_ok=True)
        with open(os.path.join(root, "bench/results/large-catalog.json"), "w") as out:
            json.dump(result, out)
    finally:
        server.terminate()
        server.wait(timeout=60)
        fake.terminate()


main()
