// Figures: a tap (or click) on a figure or plot that is shown smaller than its own size opens it
// full size in an overlay that scrolls; a second tap, Escape or the back gesture closes it.
(function () {
  "use strict";
  function shrunk(img) {
    return img.naturalWidth > 0 && img.naturalWidth > img.clientWidth + 1;
  }
  function close() {
    var box = document.querySelector(".nnbasics-lightbox");
    if (box) box.remove();
  }
  function open(img) {
    close();
    var box = document.createElement("div");
    box.className = "nnbasics-lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", (img.alt || "figure") + " (full size; tap to close)");
    var big = document.createElement("img");
    big.src = img.currentSrc || img.src;
    big.alt = img.alt || "";
    big.style.width = img.naturalWidth + "px";
    box.appendChild(big);
    box.addEventListener("click", close);
    document.body.appendChild(box);
  }
  function setup() {
    var images = document.querySelectorAll(
      "article.bd-article img, .bd-content img, .cell_output img, figure img");
    images.forEach(function (img) {
      // A link elsewhere keeps its link; Sphinx's link to the image itself (a figure with a
      // :width:) opens the overlay instead of leaving the page.
      var link = img.closest("a");
      if (link && !link.classList.contains("image-reference")) return;
      function mark() {
        img.classList.toggle("nnbasics-zoomable", shrunk(img));
      }
      if (img.complete) mark(); else img.addEventListener("load", mark);
      window.addEventListener("resize", mark);
      img.addEventListener("click", function (e) {
        if (!shrunk(img)) return;
        e.preventDefault();
        open(img);
      });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") close();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
