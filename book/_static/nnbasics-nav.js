/* nnbasics: the navigation drawer opens from the visible hamburger at every width.
 *
 * pydata-sphinx-theme 0.17 (pinned by sphinx-book-theme 1.3) renders a hidden `.primary-toggle` of
 * its own in the navbar and binds its drawer handler to `document.querySelector(".primary-toggle")`,
 * i.e. to that hidden button, so sphinx-book-theme's visible hamburger does nothing (upstream
 * pydata-sphinx-theme issue 2451). Here every toggle opens its drawer the way the theme would:
 * move the sidebar's nodes and classes into the <dialog> and show it; the theme's own `close`
 * listener on the dialog moves them back. Capture phase plus stopImmediatePropagation, so a fixed
 * upstream handler and this one never both run on one click. At 992 px and wider the primary
 * toggle hides and shows the sidebar in place, as sphinx-book-theme intends. tests/book/test_responsive.py
 * checks the drawer on phone and tablet viewports.
 */
(function () {
  "use strict";
  var pairs = [
    [".primary-toggle", "pst-primary-sidebar", "pst-primary-sidebar-modal"],
    [".secondary-toggle", "pst-secondary-sidebar", "pst-secondary-sidebar-modal"],
  ];
  function move(from, to) {
    Array.from(from.childNodes).forEach(function (node) { to.appendChild(node); });
    Array.from(from.classList).forEach(function (cls) {
      from.classList.remove(cls);
      to.classList.add(cls);
    });
  }
  document.addEventListener("click", function (event) {
    if (!event.target || !event.target.closest) return;
    for (var i = 0; i < pairs.length; i++) {
      var button = event.target.closest(pairs[i][0]);
      if (!button) continue;
      var sidebar = document.getElementById(pairs[i][1]);
      var dialog = document.getElementById(pairs[i][2]);
      if (!sidebar || !dialog || typeof dialog.showModal !== "function") return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (i === 0 && window.matchMedia("(min-width: 992px)").matches) {
        // Wide screens: the hamburger shows and hides the sidebar in place, no drawer
        // (what sphinx-book-theme's fixSidebarToggle does, bound to the same hidden button).
        sidebar.classList.toggle("pst-sidebar-hidden");
        return;
      }
      if (dialog.open) return;
      var focused = document.activeElement;
      move(sidebar, dialog);
      if (!dialog.dataset.nnbasicsNav) {
        dialog.dataset.nnbasicsNav = "1";
        // The theme moves the nodes back on close only for the toggle it found; do it here
        // when it did not (no hidden toggle), and never twice.
        dialog.addEventListener("close", function () {
          if (dialog.childNodes.length && !sidebar.childNodes.length) move(dialog, sidebar);
        });
        dialog.addEventListener("click", function (e) {
          if (e.target !== dialog) return;
          var r = dialog.getBoundingClientRect();
          if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) {
            dialog.close();
          }
        });
      }
      dialog.showModal();
      dialog.addEventListener("close", function () {
        if (focused && focused.focus) focused.focus();
      }, { once: true });
      return;
    }
  }, true);
})();
