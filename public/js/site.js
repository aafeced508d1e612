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
