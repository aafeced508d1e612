#!/usr/bin/env python3
"""Render cost without the page cache (PAGE_CACHE_MB=0): catalog-bff (release build) on a
loopback Directus of N generated products (bench/fake_directus.py, no added latency). After one
pass over 300 product pages (their descriptions fetched and kept), wrk (2 threads, 16
connections, 10 s, bench/rotate_pages.lua) asks for those product pages and for list pages in
turn: every answer is rendered. `PERF_KIND=product|list` records a perf profile of that phase
into /tmp/perf.data. Run by bench/render-cost.sh for 20 and 10,000 products.
"""
import os, subprocess, sys, time, tempfile, urllib.request
from concurrent.futures import ThreadPoolExecutor
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCTS = int(sys.argv[1]); FAKE_PORT, BFF_PORT = 18211, 18212
wrap = os.environ.get("WRAP", "").split()
def get(path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{BFF_PORT}{path}", timeout=30) as r:
            r.read(); return r.status
    except Exception as e:
        return getattr(e, "code", 0)
def load(paths, seconds=10, clients=8):
    lat = []
    def worker(i):
        end = time.perf_counter() + seconds; n = i * 7919
        while time.perf_counter() < end:
            t = time.perf_counter(); get(paths[n % len(paths)]); lat.append((time.perf_counter() - t) * 1000); n += 1
    with ThreadPoolExecutor(clients) as pool: list(pool.map(worker, range(clients)))
    lat.sort(); return len(lat) / seconds, lat[len(lat)//2], lat[int(len(lat)*0.99)]
work = tempfile.mkdtemp()
fake = subprocess.Popen([sys.executable, f"{root}/bench/fake_directus.py", str(FAKE_PORT), str(PRODUCTS), "0"])
time.sleep(2 + PRODUCTS / 5000)
env = dict(os.environ, PORT=str(BFF_PORT), LOG_LEVEL="warning", DIRECTUS_URL=f"http://127.0.0.1:{FAKE_PORT}", PAGE_CACHE_MB="0",
           DATABASE_URL=f"sqlite://{work}/db.sqlite", MAIL_DIR=f"{work}/mail", ASSET_CACHE_DIR=f"{work}/assets")
server = subprocess.Popen(wrap + [f"{root}/.build/release/catalog-bff", "serve"], env=env, cwd=root, stdout=open(f"{work}/log", "w"), stderr=subprocess.STDOUT)
try:
    start = time.perf_counter()
    while get("/catalog") != 200:
        time.sleep(0.1)
        if time.perf_counter() - start > 120: raise SystemExit("no start")
    kinds = 10
    n = min(PRODUCTS, 300)
    products = [f"/product/{i % kinds}-stanok-m{i}" for i in range(1, n + 1)]
    with ThreadPoolExecutor(8) as pool: st = list(pool.map(get, products))
    print("warm statuses", {s: st.count(s) for s in set(st)})
    lists = [f"/catalog?page={p}" for p in range(1, min((PRODUCTS + 23) // 24, 50) + 1)]
    def wrk(kind, n):
        out = subprocess.run(["wrk", "-t2", "-c16", "-d10s", "--latency", "-s", os.path.join(root, "bench/rotate_pages.lua"), f"http://127.0.0.1:{BFF_PORT}"],
                             env=dict(os.environ, PATHS_KIND=kind, PATHS_N=str(n)), capture_output=True, text=True).stdout
        rps = [l for l in out.splitlines() if "Requests/sec" in l][0].split()[-1]
        p50 = [l for l in out.splitlines() if l.strip().startswith("50%")][0].split()[-1]
        p99 = [l for l in out.splitlines() if l.strip().startswith("99%")][0].split()[-1]
        non = [l for l in out.splitlines() if "Non-2xx" in l]
        return f"{rps}/s p50 {p50} p99 {p99} {non}"
    kind = os.environ.get("PERF_KIND")
    perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(server.pid), "-o", "/tmp/perf.data", "--", "sleep", "9"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if kind == "product" else None
    print(PRODUCTS, "products, warm-uncached product pages (wrk):", wrk("product", n))
    if perf: perf.wait()
    perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(server.pid), "-o", "/tmp/perf.data", "--", "sleep", "9"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if kind == "list" else None
    # A catalog of one list page has no `?page=` address to rotate over (page 1 redirects).
    if len(lists) > 1:
        print(PRODUCTS, "products, warm-uncached list pages (wrk):", wrk("list", len(lists)))
    if perf: perf.wait()
finally:
    server.terminate(); server.wait(); fake.terminate()
