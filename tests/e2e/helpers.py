"""Shared steps for the browser tests."""

from django.urls import reverse

# The bounding box of the characters [from, to) of the source, counted in code points.
RECT_JS = """([from, to]) => {
  const root = document.getElementById('coding-text');
  const find = (index) => {
    for (const span of root.querySelectorAll('[data-start]')) {
      const chars = Array.from(span.textContent);
      const start = Number(span.dataset.start);
      if (index >= start && index <= start + chars.length) {
        return [span.firstChild, chars.slice(0, index - start).join('').length];
      }
    }
  };
  const range = document.createRange();
  range.setStart(...find(from));
  range.setEnd(...find(to));
  const rects = range.getClientRects();
  const first = rects[0], last = rects[rects.length - 1];
  return {x0: first.left + 1, y0: first.top + first.height / 2, x1: last.right - 1, y1: last.top + last.height / 2};
}"""


def log_in(tab, email: str) -> None:
    tab.goto(reverse("login"))
    tab.fill("#id_username", email)
    tab.fill("#id_password", "Lang-passord-2026")
    tab.locator("#main").get_by_role("button", name="Log in", exact=True).click()
    tab.wait_for_load_state("domcontentloaded")


def select_with_mouse(tab, start: int, end: int) -> None:
    """Drag the mouse over the source characters [start, end) in the coding view."""
    box = tab.evaluate(RECT_JS, [start, end])
    tab.mouse.move(box["x0"], box["y0"])
    tab.mouse.down()
    tab.mouse.move(box["x1"], box["y1"], steps=8)
    tab.mouse.up()
