#!/usr/bin/env python3
"""Real-browser end-to-end test: home -> category -> product -> order (422, then success) -> admin on a phone.

Starts the built server on a free loopback port with a throwaway data dir, drives headless
Chromium through Selenium, fails on SEVERE console errors and saves 1280/375 px screenshots.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WAIT = 10  # seconds for any browser condition
ADMIN_TOKEN = "browser-test-admin-token-2026"


class Failure(Exception):
    """A failed check; main() turns it into a FAIL line and exit code 1."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def step(text):
    print(f"  - {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, data_dir, port, log):
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", PUBLIC_BASE_URL=base,
               DATABASE_URL=f"sqlite://{data_dir}/db.sqlite", MAIL_DIR=f"{data_dir}/mail",
               ASSET_CACHE_DIR=f"{data_dir}/assets", ORDER_RATE_LIMIT="off", ADMIN_TOKEN=ADMIN_TOKEN,
               TEMPLATES_DIR=os.path.join(REPO, "templates"), PUBLIC_DIR=os.path.join(REPO, "public"))
    env.pop("DIRECTUS_URL", None)  # use the built-in demo catalog
    proc = subprocess.Popen([binary, "serve"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        check(proc.poll() is None, f"server exited early with code {proc.returncode} (see {log.name})")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return proc, base
        except OSError:
            pass
        time.sleep(0.2)  # health poll interval
    proc.terminate()
    raise Failure(f"server did not answer /healthz within 20 s (see {log.name})")


def start_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    options.add_argument("--headless=new")
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def assert_console_clean(driver, page, allowed=None):
    """Fails on SEVERE console entries logged since the last call (get_log drains the buffer)."""
    severe = [e["message"] for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and not (allowed and allowed in e["message"])]
    check(not severe, f"console errors on {page}:\n    " + "\n    ".join(severe))


def screenshots(driver, out, name):
    """Saves full-page-height screenshots at 1280 and 375 px, then restores the desktop width."""
    for width in (1280, 375):
        driver.set_window_size(width, 900)
        WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return window.innerWidth") == width)
        # The window size includes browser chrome; grow it so the whole page fits the viewport.
        height, chrome = driver.execute_script(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]")
        driver.set_window_size(width, min(height + chrome, 8000))
        path = os.path.join(out, f"{name}-{width}.png")
        check(driver.save_screenshot(path), f"could not save {path}")
    driver.set_window_size(1280, 900)


def wait_for(driver, css):
    return WebDriverWait(driver, WAIT).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def click_and_wait(driver, element):
    """Clicks a link or button and waits until the old page is gone and the new one is loaded."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
    WebDriverWait(driver, WAIT).until(EC.staleness_of(element))
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")


def fill(form, name, value):
    field = form.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def submit_order(driver, **fields):
    """Fills the given order form fields, ticks consent and submits."""
    form = driver.find_element(By.CSS_SELECTOR, "form.order-form")
    for name, value in fields.items():
        fill(form, name, value)
    consent = form.find_element(By.NAME, "consent")
    if not consent.is_selected():
        consent.click()
    click_and_wait(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def walk(driver, base, out):
    driver.get(base + "/")
    wait_for(driver, ".category-grid a.category-name")
    step(f"home page: {driver.title}")
    assert_console_clean(driver, "home")
    screenshots(driver, out, "home")

    # Suggestions as you type, and the arrow keys and Enter to open one.
    field = driver.find_element(By.ID, "search-q")
    field.send_keys("ток")
    first = WebDriverWait(driver, WAIT).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#search-suggestions [role=option] a")))
    labels = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#search-suggestions [role=option] a")]
    check(any("Токарн" in label for label in labels), f"no lathe among the suggestions: {labels}")
    check(field.get_attribute("aria-expanded") == "true", "the search field does not say its list is open")
    step(f"suggestions for «ток»: {len(labels)}, first «{first.text.splitlines()[0]}»")
    field.send_keys(Keys.ARROW_DOWN)
    check(field.get_attribute("aria-activedescendant") == "search-suggestion-0", "arrow down chose no suggestion")
    old = driver.find_element(By.TAG_NAME, "h1")
    field.send_keys(Keys.ENTER)
    WebDriverWait(driver, WAIT).until(EC.staleness_of(old))
    check("/product/" in driver.current_url or "/catalog/" in driver.current_url, f"Enter led to {driver.current_url}")
    assert_console_clean(driver, "suggestions")
    driver.get(base + "/")
    wait_for(driver, ".category-grid a.category-name")

    tile = driver.find_element(By.CSS_SELECTOR, ".category-grid a.category-name")
    category = tile.text
    click_and_wait(driver, tile)
    check("/catalog/" in driver.current_url, f"category link led to {driver.current_url}")
    category_url = driver.current_url

    # The filter form: a plain GET form that works with script switched off, its own address,
    # cards that fit it.
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    driver.refresh()
    form = wait_for(driver, "form.list-filter")
    check(driver.find_element(By.ID, "search-q").get_attribute("role") is None, "the page's script ran with script switched off")
    stock = form.find_element(By.NAME, "stock")
    if not stock.is_selected():
        stock.click()
    from selenium.webdriver.support.ui import Select
    Select(form.find_element(By.NAME, "sort")).select_by_value("price")
    click_and_wait(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    # The form sends every field, empty ones too; the server sends that on to the list's address.
    check(driver.current_url == category_url + "?stock=1&sort=price", f"the filter form led to {driver.current_url}")
    wait_for(driver, ".card-grid a.card-link")
    check(driver.find_element(By.NAME, "stock").is_selected(), "the filtered page does not show its filter")
    step(f"filtered category without script: {driver.current_url}")
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    assert_console_clean(driver, "filtered category")
    screenshots(driver, out, "category-filtered")
    driver.get(category_url)
    wait_for(driver, ".card-grid a.card-link")
    step(f"category «{category}»: {driver.current_url}")

    # Into a subcategory whose machines share specs: a choice and a range from «Характеристики».
    click_and_wait(driver, driver.find_element(By.XPATH, "//ul[@class='chips']//a[contains(., 'с ЧПУ')]"))
    form = driver.find_element(By.CSS_SELECTOR, "form.list-filter")
    form.find_element(By.CSS_SELECTOR, ".filter-specs summary").click()
    choice = WebDriverWait(driver, WAIT).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".filter-specs input[type=checkbox][value^='Siemens']")))
    choice.click()
    fill(form, "spec.diametr-obrabotki-nad-staninoy.from", "350")
    click_and_wait(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    check(driver.current_url.endswith("/catalog/tokarnye-stanki-chpu?spec.diametr-obrabotki-nad-staninoy.from=350&spec.sistema-chpu=Siemens%20808D"),
          f"the spec filter led to {driver.current_url}")
    titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".card-grid .card-title")]
    check(titles == ["Токарный станок с ЧПУ CK6140"], f"the spec filter shows {titles}")
    check(driver.find_element(By.CSS_SELECTOR, ".filter-specs").get_attribute("open") is not None,
          "the filtered page hides the spec filters it applied")
    spec_url = driver.current_url
    step(f"spec filters: {titles[0]} at {spec_url}")
    assert_console_clean(driver, "spec-filtered category")
    screenshots(driver, out, "category-spec-filtered")
    assert_console_clean(driver, "category")

    card = driver.find_element(By.CSS_SELECTOR, ".card-grid a.card-link")
    click_and_wait(driver, card)
    check("/product/" in driver.current_url, f"product card led to {driver.current_url}")
    product_url = driver.current_url
    wait_for(driver, "form.order-form")
    step(f"product «{driver.find_element(By.TAG_NAME, 'h1').text}»: {driver.current_url}")
    assert_console_clean(driver, "product")
    screenshots(driver, out, "product")

    # Bad phone: the form has `novalidate`, so the browser lets it through and the server answers 422.
    submit_order(driver, name="Иван Тестов", phone="12", comment="Браузерный тест")
    error = wait_for(driver, "#order-phone ~ .error")  # the message right next to the phone input
    check("телефон" in error.text.lower(), f"unexpected phone error text: {error.text!r}")
    check(driver.find_element(By.ID, "order-phone").get_attribute("aria-invalid") == "true",
          "phone field is not marked aria-invalid")
    kept = driver.find_element(By.ID, "order-name").get_attribute("value")
    check(kept == "Иван Тестов", f"typed name not kept after 422, got {kept!r}")
    check(driver.find_elements(By.CSS_SELECTOR, ".form-error[role=alert] a[href='#order-phone']"),
          "no error summary linking to the phone field after 422")
    step(f"bad phone rejected: «{error.text}»")
    # Chromium logs the 422 document response itself as a SEVERE network entry; anything else is a bug.
    assert_console_clean(driver, "the 422 page", allowed="status of 422")
    fits_phones_here(driver, "the order form with errors")
    accessible_here(driver, "the order form with errors")

    # Fixed phone: the re-rendered form must go through to the thanks page.
    submit_order(driver, phone="+7 900 123-45-67")
    check("/order/thanks/" in driver.current_url, f"order submit ended on {driver.current_url}")
    heading = wait_for(driver, "h1").text
    check("принята" in heading, f"thanks page heading is {heading!r}")
    step(f"order accepted: «{heading}» at {driver.current_url}")
    assert_console_clean(driver, "thanks")
    screenshots(driver, out, "thanks")
    thanks = driver.current_url

    kinds = [
        ("home", base + "/"), ("catalog", base + "/catalog"), ("category", category_url),
        ("category with filters", spec_url), ("product", product_url),
        ("search", base + "/catalog?q=%D1%82%D0%BE%D0%BA%D0%B0%D1%80%D0%BD%D1%8B%D0%B9"), ("order form", base + "/order"),
        ("thanks", thanks), ("privacy", base + "/privacy"),
    ]
    fits_phones(driver, kinds)
    accessible(driver, kinds)

    admin_on_a_phone(driver, base, out)


def fits_the_width(driver, page):
    """No sideways scrolling: nothing on the page is wider than the window."""
    scroll, inner = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(scroll <= inner, f"{page} is {scroll} px wide in a {inner} px window")


PHONES = (320, 375, 414)

# Every visible control and link that is not a word inside running text, with its size: a check
# box counts with its label; a link in a sentence (a paragraph, a label's text) is exempt (WCAG
# 2.5.8's inline exception), as is what is hidden from everyone (the form's honeypot field).
SMALL_TARGETS = """
const small = [], seen = new Set();
for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
  const box = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el;
  if (seen.has(box)) continue;
  seen.add(box);
  if (el.tagName === 'A' && el.closest('p, label, .description')) continue;
  if (el.closest('[aria-hidden="true"]')) continue;
  const style = getComputedStyle(box), r = box.getBoundingClientRect();
  if (style.visibility === 'hidden' || r.width === 0 || r.height === 0 || r.bottom < 0) continue;
  if (box.closest('.visually-hidden')) continue;
  if (r.width < 44 || r.height < 44) {
    const text = (el.getAttribute('aria-label') || el.textContent || el.name || '').trim().replace(/\\s+/g, ' ').slice(0, 30);
    small.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''} «${text}» ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
}
return small;
"""


def tappable(driver, page):
    """Every control and link outside running text is at least 44 × 44 px."""
    small = driver.execute_script(SMALL_TARGETS)
    check(not small, f"tap targets under 44 px on {page}:\n    " + "\n    ".join(small))


def accessible_here(driver, page):
    """axe-core on the page as it is: no critical or serious violation."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    bad = [f"{v['id']} ({v['impact']}): {v['nodes'][0].get('html', '')[:120]}" for v in results["violations"]
           if v["impact"] in ("critical", "serious")]
    check(not bad, f"axe-core on {page}:\n    " + "\n    ".join(bad))


def accessible(driver, urls):
    for name, url in urls:
        driver.get(url)
        WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
        accessible_here(driver, name)
    step(f"axe-core: no critical or serious violation on {len(urls)} page kinds")


def fits_phones_here(driver, page):
    """The page as it is now, at each phone width (the window is resized, the page not reloaded)."""
    for width in PHONES:
        driver.set_window_size(width, 900)
        WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return window.innerWidth") == width)
        fits_the_width(driver, f"{page} at {width} px")
        tappable(driver, f"{page} at {width} px")
    driver.set_window_size(1280, 900)


def fits_phones(driver, urls):
    """Each page, loaded at each phone width."""
    for width in PHONES:
        driver.set_window_size(width, 900)
        WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return window.innerWidth") == width)
        for name, url in urls:
            driver.get(url)
            WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
            fits_the_width(driver, f"{name} at {width} px")
            tappable(driver, f"{name} at {width} px")
    driver.set_window_size(1280, 900)
    step(f"{len(urls)} page kinds fit {', '.join(map(str, PHONES))} px without sideways scrolling, tap targets 44 px and more")


def admin_on_a_phone(driver, base, out):
    """The admin's list and a lead's page at 375 px: cards instead of a table, no sideways
    scrolling, the chart within the screen, buttons big enough to tap."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Bearer {ADMIN_TOKEN}"}})
    driver.set_window_size(375, 900)
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return window.innerWidth") == 375)
    driver.get(base + "/admin")
    wait_for(driver, ".admin-table")
    check("Иван Тестов" in driver.page_source, "the order is not on the admin page")
    fits_the_width(driver, "/admin")
    header = driver.execute_script("return getComputedStyle(document.querySelector('.admin-table thead')).display")
    check(header == "none", f"the lead table keeps its header row on a phone (display: {header})")
    chart = driver.execute_script("return document.querySelector('svg.activity-chart').getBoundingClientRect().width")
    check(0 < chart <= 375, f"the chart is {chart} px wide")
    buttons = driver.execute_script(
        "return [...document.querySelectorAll('.admin button')].map(b => b.getBoundingClientRect().height)")
    check(buttons and min(buttons) >= 44, f"admin buttons are too small to tap: {buttons}")
    step(f"admin on a phone: {len(buttons)} buttons, chart {chart:.0f} px")
    assert_console_clean(driver, "/admin")
    screenshots(driver, out, "admin")
    driver.set_window_size(375, 900)
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return window.innerWidth") == 375)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, ".admin-table td[data-label='№'] a"))
    wait_for(driver, ".admin-fields")
    check("Заявка №" in driver.find_element(By.TAG_NAME, "h1").text, "the lead's page has no heading")
    fits_the_width(driver, "the lead's page")
    step(f"lead page on a phone: {driver.current_url}")
    assert_console_clean(driver, "the lead's page")
    driver.set_window_size(1280, 900)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(REPO, ".build/debug/catalog-bff"))
    parser.add_argument("--out", default=os.path.join(REPO, ".build/browser-test"))
    args = parser.parse_args()
    binary, out = os.path.abspath(args.binary), os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if not os.access(binary, os.X_OK):
        sys.exit(f"FAIL: server binary not found or not executable: {binary}")

    started = time.monotonic()
    server = driver = None
    with tempfile.TemporaryDirectory(prefix="browser-test-") as data_dir, \
            open(os.path.join(out, "server.log"), "w") as log:
        try:
            server, base = start_server(binary, data_dir, free_port(), log)
            step(f"server up at {base}")
            driver = start_browser()
            step(f"browser: Chromium {driver.capabilities.get('browserVersion')}")
            walk(driver, base, out)
        except Failure as failure:
            sys.exit(f"FAIL: {failure}")
        except Exception as error:  # Selenium timeouts, missing elements and the like
            sys.exit(f"FAIL: {type(error).__name__}: {error}".rstrip())
        finally:
            if driver:
                driver.quit()
            if server:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
    print(f"PASS in {time.monotonic() - started:.1f} s; screenshots in {out}")


if __name__ == "__main__":
    main()
