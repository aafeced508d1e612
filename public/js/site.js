// Gallery: a thumbnail shows its picture in the main frame (links still work without JS).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".gallery-thumbs a[data-full]");
  if (!link) return;
  var main = document.getElementById("gallery-main");
  if (!main) return;
  event.preventDefault();
  main.src = link.getAttribute("data-full");
  var image = link.querySelector("img");
  if (image) main.alt = image.alt;
  document.querySelectorAll(".gallery-thumbs a").forEach(function (other) { other.removeAttribute("aria-current"); });
  link.setAttribute("aria-current", "true");
});
