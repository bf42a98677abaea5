// Chapter editor: drag a block within its section to reorder it (the up/down buttons do the same by keyboard).
document.addEventListener("DOMContentLoaded", () => {
  const csrf = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  };
  document.querySelectorAll("ol.chapter-blocks[data-reorder-url]").forEach((list) => {
    const url = list.dataset.reorderUrl;
    if (!url) {
      return;
    }
    let dragged = null;
    list.addEventListener("dragstart", (event) => {
      dragged = event.target.closest("li[data-block-id]");
      if (dragged) {
        dragged.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
      }
    });
    list.addEventListener("dragover", (event) => {
      const over = event.target.closest("li[data-block-id]");
      if (!dragged || !over || over === dragged || over.parentElement !== list) {
        return;
      }
      event.preventDefault();
      const box = over.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("dragend", () => {
      if (!dragged) {
        return;
      }
      dragged.classList.remove("dragging");
      dragged = null;
      const order = Array.from(list.querySelectorAll("li[data-block-id]")).map((item) => item.dataset.blockId);
      const body = new URLSearchParams({ action: "reorder", order: order.join(",") });
      fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" }).then(
        (response) => {
          if (!response.ok) {
            window.location.reload();
          }
        },
      );
    });
  });
});
