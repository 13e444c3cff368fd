"""How fast each explorer of the built book redraws, and what its page weighs (book/performance.md).

For every page with an explorer, in headless Chromium at 390 and 1280 px: each control is moved to
another value 5 times, and the time from the input event to the changed drawing (the first animation
frame in which the SVG differs) is measured inside the page; the median per control is printed.
Page weight is the cold load served as GitHub Pages serves it (text gzip-compressed), as
tests/book/test_responsive.py measures it.

Usage: make build-check && .venv/bin/python tools/explorer_redraw.py [--html _build/html]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "book"))
from test_responsive import PagesLikeHandler  # noqa: E402  (the same gzip-serving handler)

MOVE = """async ([figure, index, repeat]) => {
  const control = figure.querySelectorAll('.vega-bind input[type=range], .vega-bind select')[index];
  const svg = () => figure.querySelector('.nnbasics-explorer-view svg').outerHTML;
  const times = [];
  for (let r = 0; r < repeat; r++) {
    const before = svg();
    if (control.tagName === 'SELECT') {
      control.selectedIndex = (control.selectedIndex + 1) % control.options.length;
    } else {
      const lo = Number(control.min), hi = Number(control.max), step = Number(control.step);
      const v = Number(control.value);
      control.value = String(v + step <= hi + 1e-9 ? v + step : lo);
    }
    const t0 = performance.now();
    control.dispatchEvent(new Event(control.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));
    await new Promise(done => { const look = () => svg() !== before ? done() : requestAnimationFrame(look);
                                look(); });
    times.push(performance.now() - t0);
  }
  return times;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    args = parser.parse_args()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(PagesLikeHandler, directory=str(args.html)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    pages = sorted(p.relative_to(args.html).as_posix() for p in args.html.glob("book/*/*.html")
                   if 'class="nnbasics-explorer"' in p.read_text(encoding="utf-8"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        print("| page | kB over the wire | control | median redraw at 390 px (ms) | at 1280 px (ms) |")
        print("| --- | --- | --- | --- | --- |")
        for path in pages:
            rows: dict[str, list[float]] = {}
            weight = 0
            for width in (390, 1280):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                received: list[int] = []
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.on("Network.loadingFinished", lambda e, r=received: r.append(e["encodedDataLength"]))
                page.goto(f"{server}/{path}", wait_until="networkidle")
                weight = sum(received)
                page.wait_for_function("() => [...document.querySelectorAll('figure.nnbasics-explorer')]"
                                       ".every(f => f.dataset.drawn)")
                for i, figure in enumerate(page.locator("figure.nnbasics-explorer").all()):
                    labels = figure.locator(".vega-bind-name").all_inner_texts()
                    for j, label in enumerate(labels):
                        times = page.evaluate(MOVE, [figure.element_handle(), j, 5])
                        rows.setdefault(f"{i}: {label.strip()}", []).append(statistics.median(times))
                context.close()
            for k, (control, (phone, laptop)) in enumerate(rows.items()):
                print(f"| {path if k == 0 else ''} | {round(weight / 1e3) if k == 0 else ''} | {control} "
                      f"| {phone:.0f} | {laptop:.0f} |")
        browser.close()
    httpd.shutdown()


if __name__ == "__main__":
    main()
