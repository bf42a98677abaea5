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
  // A search box inside a form (<input data-no-submit>): Enter searches, it does not submit the form.
  document.body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches && event.target.matches("input[data-no-submit]")) {
      event.preventDefault();
    }
  });
  paint(document);
  document.body.addEventListener("htmx:afterSwap", (event) => paint(event.target));
});
