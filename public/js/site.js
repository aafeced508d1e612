// Gallery: a thumbnail shows its picture in the main frame (links still work without JS).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".gallery-thumbs a[data-full]");
  if (!link) return;
  var main = document.getElementById("gallery-main");
  if (!main) return;
  event.preventDefault();
  main.src = link.getAttribute("data-full");
  if (link.getAttribute("data-srcset")) main.srcset = link.getAttribute("data-srcset");
  var image = link.querySelector("img");
  if (image) main.alt = image.alt;
  document.querySelectorAll(".gallery-thumbs a").forEach(function (other) { other.removeAttribute("aria-current"); });
  link.setAttribute("aria-current", "true");
});

// UTM labels: remembered from the landing URL for 30 days (pages are cached and shared, so
// the server cannot put a visitor's labels into them) and copied into the order form.
(function () {
  var keys = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var params = new URLSearchParams(window.location.search);
  var fromURL = keys.filter(function (key) { return params.get(key); });
  if (fromURL.length) {
    var value = fromURL.map(function (key) { return key + "=" + encodeURIComponent(params.get(key).slice(0, 200)); }).join("&");
    document.cookie = "utm=" + encodeURIComponent(value) + "; max-age=2592000; path=/; SameSite=Lax";
  }
  var match = document.cookie.match(/(?:^|; )utm=([^;]*)/);
  if (!match) return;
  var stored = new URLSearchParams(decodeURIComponent(match[1]));
  document.querySelectorAll("form.order-form").forEach(function (form) {
    keys.forEach(function (key) {
      var input = form.querySelector('input[name="' + key + '"]');
      if (input && !input.value && stored.get(key)) input.value = stored.get(key);
    });
  });
})();

// Search suggestions as you type: a few products and sections from /api/suggest under the
// search field (the form works without them: it submits to /catalog). Keyboard: arrows move,
// Enter opens the chosen one, Escape closes the list.
(function () {
  var input = document.getElementById("search-q");
  if (!input || !input.form || !window.fetch) return;
  var form = input.form;
  var list = document.createElement("ul");
  list.id = "search-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Подсказки поиска");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  // The field keeps its name as a combobox (its <label> is visually hidden).
  var label = form.querySelector('label[for="search-q"]');
  if (label) input.setAttribute("aria-label", label.textContent.trim());
  var timer = null;
  var asked = "";
  var active = -1;
  var pending = null;

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(index) {
    var all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", all[active].id);
  }

  function render(answer) {
    var items = answer.products.map(function (p) { return { label: p.name, hint: p.price || "", url: p.url }; })
      .concat(answer.categories.map(function (c) { return { label: c.name, hint: "раздел каталога", url: c.url }; }));
    list.textContent = "";
    if (!items.length) { close(); return; }
    items.forEach(function (item, i) {
      var option = document.createElement("li");
      option.id = "search-suggestion-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      var link = document.createElement("a");
      link.href = item.url;
      link.tabIndex = -1;
      link.textContent = item.label;
      var hint = document.createElement("span");
      hint.className = "suggestion-hint";
      hint.textContent = item.hint;
      link.appendChild(hint);
      option.appendChild(link);
      list.appendChild(option);
    });
    active = -1;
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < 2) { close(); asked = ""; return; }
    timer = setTimeout(function () {
      if (query === asked) return;
      asked = query;
      if (pending && pending.abort) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      fetch("/api/suggest?q=" + encodeURIComponent(query), { signal: pending ? pending.signal : undefined, headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer && input.value.trim() === query) render(answer); })
        .catch(function () {});
    }, 150);
  });

  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); choose(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); choose(active - 1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.href = options()[active].querySelector("a").href;
    }
  });

  document.addEventListener("click", function (event) { if (!form.contains(event.target)) close(); });
})();
