// Small behaviours for every page; no inline scripts anywhere (see the CSP).
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive actions: <form data-confirm="Are you sure?">.
  document.body.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Colour swatches: <span class="rq-swatch" data-colour="#aabbcc"> (no inline styles under the CSP).
  const paint = (root) => {
    root.querySelectorAll("[data-colour]").forEach((element) => {
      element.style.backgroundColor = element.dataset.colour;
    });
    root.querySelectorAll("[data-progress]").forEach((element) => {
      element.style.width = `${element.dataset.progress}%`;
    });
  };
  paint(document);
  document.body.addEventListener("htmx:afterSwap", (event) => paint(event.target));
});
