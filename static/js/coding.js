// The coding view: select text, apply codes, adjust excerpts, undo — without reloading the page.
//
// Offsets are a contract with the server: Python string indices (code points) into the
// source text. JavaScript strings count UTF-16 units, so a character outside the BMP
// (an emoji) is 1 in Python and 2 here; every DOM offset goes through utf16ToCodePoints.

/** How many code points the first `utf16Offset` UTF-16 units of `text` hold (a split pair counts whole). */
export function utf16ToCodePoints(text, utf16Offset) {
  let units = 0;
  let points = 0;
  for (const character of text) {
    if (units >= utf16Offset) break;
    units += character.length;
    points += 1;
  }
  return points;
}

/** The Python index of a DOM boundary point (node, offset) inside the text root, or null if outside. */
export function boundaryToIndex(root, node, offset, totalLength) {
  if (!root.contains(node)) return null;
  if (node.nodeType === Node.TEXT_NODE) {
    const segment = node.parentElement.closest("[data-start]");
    if (!segment || !root.contains(segment)) return null;
    return Number(segment.dataset.start) + utf16ToCodePoints(node.data, offset);
  }
  if (node === root) {
    const child = root.children[offset];
    return child ? Number(child.dataset.start) : totalLength;
  }
  const segment = node.closest("[data-start]");
  if (!segment) return null;
  const start = Number(segment.dataset.start);
  return offset === 0 ? start : start + Array.from(segment.textContent).length;
}

const isTyping = (element) =>
  element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

function csrfToken() {
  try {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
  } catch (error) {
    // fall through to the cookie
  }
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function start(root) {
  const text = document.getElementById("coding-text");
  const status = () => document.getElementById("coding-status");
  const canEdit = root.dataset.canEdit === "1";
  const state = { selection: null, focused: null, characters: Array.from(text.textContent) };
  const urlFor = (name, excerptId) => root.dataset[`${name}Url`].replace("/0/", `/${excerptId}/`);

  // Code colours: one constructed stylesheet of `[data-code="12"] { --code: #rrggbb }` rules
  // (the CSP forbids style attributes in the HTML, not the CSSOM). Colours seen once are kept:
  // a large codebook's picker shows a code only while its node is open or it is found by search.
  const sheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  const colours = new Map();
  const paintCodes = () => {
    document.querySelectorAll("[data-code-colour]").forEach((element) => {
      if (/^#[0-9a-fA-F]{6}$/.test(element.dataset.codeColour)) {
        colours.set(Number(element.dataset.code), element.dataset.codeColour);
      }
    });
    sheet.replaceSync([...colours].map(([id, colour]) => `[data-code="${id}"]{--code:${colour}}`).join("\n"));
  };

  const say = (message, isError = false) => {
    const element = status();
    if (!element) return;
    element.textContent = message;
    element.classList.toggle("text-danger", isError);
  };

  const showSelection = () => {
    const element = document.getElementById("coding-selection");
    const selected = state.selection;
    if (element) {
      if (selected) {
        const words = selected.text.length > 80 ? `${selected.text.slice(0, 79)}…` : selected.text;
        element.textContent = `${root.dataset.selectionLabel} ${selected.start}–${selected.end}: «${words}»`;
      } else {
        element.textContent = root.dataset.noSelection;
      }
    }
    const enable = (id, on) => {
      const button = document.getElementById(id);
      if (button) button.disabled = !on;
    };
    enable("apply-codes", Boolean(selected));
    enable("in-vivo", Boolean(selected));
    enable("add-to-excerpt", Boolean(state.focused));
    enable("adjust-excerpt", Boolean(selected && state.focused));
  };

  const readSelection = () => {
    const selection = window.getSelection();
    if (!selection.rangeCount) return;
    const range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    if (range.collapsed) {
      state.selection = null;
    } else {
      const total = state.characters.length;
      const from = boundaryToIndex(text, range.startContainer, range.startOffset, total);
      const to = boundaryToIndex(text, range.endContainer, range.endOffset, total);
      state.selection =
        from !== null && to !== null && to > from
          ? { start: from, end: to, text: state.characters.slice(from, to).join("") }
          : null;
    }
    showSelection();
  };

  const focusExcerpt = (id, scrollMargin = true) => {
    state.focused = id;
    document.querySelectorAll(".margin-item.active").forEach((item) => item.classList.remove("active"));
    text.querySelectorAll(".hl.focused").forEach((segment) => segment.classList.remove("focused"));
    if (id !== null) {
      const item = document.getElementById(`excerpt-${id}`);
      if (item) {
        item.classList.add("active");
        if (scrollMargin) item.scrollIntoView({ block: "nearest" });
      }
      text.querySelectorAll(`[data-excerpts~="${id}"]`).forEach((segment) => segment.classList.add("focused"));
    }
    showSelection();
  };

  // The first text span starting at or after `offset` (spans are in order: binary search).
  const spanIndexAt = (offset) => {
    const spans = text.children;
    let low = 0;
    let high = spans.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (Number(spans[middle].dataset.start) < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  // Replace the spans of whole lines [low, high) with the server's new ones.
  const swapWindow = (low, high, fragment) => {
    const spans = text.children;
    const first = spanIndexAt(low);
    const last = spanIndexAt(high);
    const after = spans[last] || null;
    for (let index = last - 1; index >= first; index -= 1) spans[index].remove();
    text.insertBefore(fragment, after);
  };

  const marginKey = (item) => item.dataset.key.split(" ").map(Number).concat(Number(item.dataset.excerpt));
  const before = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

  // Insert or replace one margin item, keeping source order.
  const upsertItem = (id, fragment) => {
    const margin = document.getElementById("coding-margin");
    const item = fragment.firstElementChild;
    const old = document.getElementById(`excerpt-${id}`);
    if (old) old.remove();
    const key = marginKey(item);
    const next = Array.from(margin.querySelectorAll(".margin-item")).find((other) => before(key, marginKey(other)) < 0);
    margin.insertBefore(item, next || null);
  };

  const countItems = () => {
    const margin = document.getElementById("coding-margin");
    const count = margin.querySelectorAll(".margin-item").length;
    const badge = document.getElementById("coding-count");
    if (badge) badge.textContent = String(count);
    const empty = margin.querySelector("[data-empty]");
    if (empty) empty.hidden = count > 0;
  };

  const swap = (html) => {
    const holder = document.createElement("template");
    holder.innerHTML = html;
    const parts = holder.content;
    parts.querySelectorAll("template[data-target]").forEach((part) => {
      const target = document.getElementById(part.dataset.target);
      if (target) target.replaceChildren(part.content.cloneNode(true));
    });
    parts.querySelectorAll("template[data-text-window]").forEach((part) => {
      const [low, high] = part.dataset.textWindow.split(" ").map(Number);
      swapWindow(low, high, part.content.cloneNode(true));
    });
    parts.querySelectorAll("template[data-margin-remove]").forEach((part) => {
      const item = document.getElementById(`excerpt-${part.dataset.marginRemove}`);
      if (item) item.remove();
    });
    parts.querySelectorAll("template[data-margin-item]").forEach((part) => {
      upsertItem(part.dataset.marginItem, part.content.cloneNode(true));
    });
    if (parts.querySelector("template[data-target=coding-text]")) state.characters = Array.from(text.textContent);
    countItems();
    paintCodes();
    if (state.focused !== null && !document.getElementById(`excerpt-${state.focused}`)) state.focused = null;
    focusExcerpt(state.focused, false);
  };

  const post = async (url, fields) => {
    const body = new URLSearchParams();
    for (const [name, value] of fields) body.append(name, value);
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": csrfToken(),
          "X-Requested-With": "fetch",
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        },
        body,
      });
    } catch (error) {
      say(root.dataset.failed, true);
      return null;
    }
    if (response.ok) {
      swap(await response.text());
      return response;
    }
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      const answer = await response.json();
      say((answer.errors || []).join(" "), true);
    } else if (response.status !== 400) {
      say(root.dataset.failed, true);
    }
    return response;
  };

  const checkedCodes = () =>
    Array.from(document.querySelectorAll("#coding-codes input[name=code]:checked"), (box) => box.value);

  const clearPicker = () => {
    document.querySelectorAll("#coding-codes input[name=code]:checked").forEach((box) => {
      box.checked = false;
    });
    const search = document.getElementById("code-search");
    if (search && search.value) {
      search.value = "";
      filterCodes("");
    }
  };

  const createExcerpt = async (codeIds, inVivo = false) => {
    const selected = state.selection;
    if (!selected || (!codeIds.length && !inVivo)) return;
    const fields = [
      ["source", root.dataset.source],
      ["start", selected.start],
      ["end", selected.end],
      ["text", selected.text],
      ...codeIds.map((id) => ["code", id]),
    ];
    if (inVivo) fields.push(["in_vivo", "1"]);
    const response = await post(root.dataset.createUrl, fields);
    if (response && response.ok) {
      window.getSelection().removeAllRanges();
      state.selection = null;
      clearPicker();
      showSelection();
    }
  };

  const addCodes = async (codeIds) => {
    for (const id of codeIds) {
      await post(urlFor("add", state.focused), [["code", id]]);
    }
    clearPicker();
  };

  const visibleOptions = () =>
    Array.from(document.querySelectorAll("#coding-codes .code-option")).filter((option) => !option.closest("[hidden]"));

  // A large codebook (`[data-code-tree]`) is searched on the server; a small one is filtered here.
  let searching = Promise.resolve();
  let searchTimer = null;
  const searchServer = (query) => {
    const tree = document.querySelector("#coding-codes [data-code-tree]");
    const results = document.querySelector("#coding-codes [data-code-results]");
    if (!tree || !results) return;
    clearTimeout(searchTimer);
    if (!query.trim()) {
      results.hidden = true;
      results.replaceChildren();
      tree.hidden = false;
      searching = Promise.resolve();
      return;
    }
    searching = new Promise((resolve) => {
      searchTimer = setTimeout(async () => {
        const url = `${root.dataset.codeSearchUrl}?${new URLSearchParams({ q: query })}`;
        try {
          const response = await fetch(url, { headers: { "X-Requested-With": "fetch" } });
          if (response.ok && document.getElementById("code-search").value === query) {
            results.innerHTML = await response.text();
            tree.hidden = true;
            results.hidden = false;
            document.getElementById("coding-codes").scrollTop = 0;
            paintCodes();
          }
        } catch (error) {
          say(root.dataset.failed, true);
        }
        resolve();
      }, 150);
    });
  };

  const filterCodes = (query) => {
    if (document.querySelector("#coding-codes [data-code-tree]")) {
      searchServer(query);
      return;
    }
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    document.querySelectorAll("#coding-codes .code-option").forEach((option) => {
      option.hidden = !words.every((word) => option.dataset.path.includes(word));
    });
  };

  // Opening a node of a large codebook's tree loads its sub-codes once.
  const toggleNode = async (button) => {
    const children = document.getElementById(button.getAttribute("aria-controls"));
    if (!children) return;
    const open = button.getAttribute("aria-expanded") !== "true";
    if (open && !children.dataset.loaded) {
      const url = root.dataset.codeChildrenUrl.replace("/0/", `/${button.dataset.codeChildren}/`);
      try {
        const response = await fetch(url, { headers: { "X-Requested-With": "fetch" } });
        if (!response.ok) throw new Error(String(response.status));
        children.innerHTML = await response.text();
        children.dataset.loaded = "1";
        paintCodes();
      } catch (error) {
        say(root.dataset.failed, true);
        return;
      }
    }
    button.setAttribute("aria-expanded", String(open));
    children.hidden = !open;
  };

  const chosenCodes = () => {
    const checked = checkedCodes();
    if (checked.length) return checked;
    const first = visibleOptions()[0];
    const search = document.getElementById("code-search");
    return first && search && search.value.trim() ? [first.dataset.codeId] : [];
  };

  const applyChosen = async () => {
    await searching;
    const codes = chosenCodes();
    if (state.selection) createExcerpt(codes);
    else if (state.focused !== null) addCodes(codes);
  };

  paintCodes();
  showSelection();

  document.addEventListener("selectionchange", readSelection);

  text.addEventListener("click", (event) => {
    const segment = event.target.closest(".hl");
    if (segment && window.getSelection().isCollapsed) {
      const ids = segment.dataset.excerpts.split(" ");
      focusExcerpt(Number(ids[ids.length - 1]));
    }
  });

  root.addEventListener("click", (event) => {
    const jump = event.target.closest("[data-jump]");
    if (jump) {
      const id = Number(jump.dataset.jump);
      const segments = text.querySelectorAll(`[data-excerpts~="${id}"]`);
      if (segments.length) segments[0].scrollIntoView({ block: "center", behavior: "smooth" });
      focusExcerpt(id, false);
      return;
    }
    const control = event.target.closest("[data-action]");
    if (!control || !canEdit) return;
    const item = control.closest("[data-excerpt]");
    const excerptId = item ? Number(item.dataset.excerpt) : state.focused;
    const action = control.dataset.action;
    if (action === "remove") {
      post(urlFor("remove", excerptId), [["code", control.dataset.codeId]]);
    } else if (action === "delete") {
      if (window.confirm(root.dataset.confirmDelete)) post(urlFor("delete", excerptId), []);
    } else if (action === "detail") {
      openDetail(excerptId);
    } else if (action === "close-panel") {
      event.preventDefault();
      closeDetail();
    }
  });

  if (canEdit) {
    const search = document.getElementById("code-search");
    search.addEventListener("input", () => filterCodes(search.value));
    document.getElementById("coding-codes").addEventListener("click", (event) => {
      const toggle = event.target.closest("[data-code-children]");
      if (toggle) toggleNode(toggle);
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        applyChosen();
      } else if (event.key === "Escape") {
        search.value = "";
        filterCodes("");
        text.focus();
      }
    });
    document.getElementById("apply-codes").addEventListener("click", () => createExcerpt(chosenCodes()));
    document.getElementById("in-vivo").addEventListener("click", () => createExcerpt(checkedCodes(), true));
    document.getElementById("add-to-excerpt").addEventListener("click", () => addCodes(chosenCodes()));
    document.getElementById("adjust-excerpt").addEventListener("click", () => {
      const selected = state.selection;
      if (!selected || state.focused === null) return;
      post(urlFor("adjust", state.focused), [
        ["start", selected.start],
        ["end", selected.end],
        ["text", selected.text],
      ]);
    });
    root.addEventListener("click", (event) => {
      if (event.target.closest("#undo")) post(root.dataset.undoUrl, []);
    });
  }

  const panel = document.getElementById("excerpt-panel");
  const closeDetail = () => {
    if (!panel) return;
    panel.hidden = true;
    panel.replaceChildren();
  };
  const openDetail = async (id) => {
    if (!panel) return;
    focusExcerpt(id);
    const response = await fetch(urlFor("detail", id), { headers: { "X-Requested-With": "fetch" } });
    panel.innerHTML = await response.text();
    if (window.htmx) window.htmx.process(panel); // the corroboration search box
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  };
  if (panel) {
    panel.addEventListener("submit", async (event) => {
      const form = event.target.closest("[data-detail-form]");
      if (!form) return;
      event.preventDefault();
      const fields = Array.from(new FormData(form, event.submitter).entries());
      const body = new URLSearchParams(fields);
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
        body,
      });
      if (response.ok) {
        swap(await response.text());
        closeDetail();
      } else {
        panel.innerHTML = await response.text();
        if (window.htmx) window.htmx.process(panel);
      }
    });
  }

  // Keyboard: Shift+arrows select inside the focused text; digits apply shortcuts; Enter applies
  // the ticked codes; N makes an in-vivo code; Ctrl+Z undoes.
  document.addEventListener("keydown", (event) => {
    if (isTyping(document.activeElement) && document.activeElement !== text) return;
    if (canEdit && (event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
      event.preventDefault();
      post(root.dataset.undoUrl, []);
      return;
    }
    if (document.activeElement === text && event.shiftKey && event.key.startsWith("Arrow")) {
      event.preventDefault();
      const selection = window.getSelection();
      if (!selection.rangeCount || !text.contains(selection.anchorNode)) {
        const first = text.querySelector("[data-start]");
        if (!first || !first.firstChild) return;
        selection.collapse(first.firstChild, 0);
      }
      const direction = { ArrowRight: "forward", ArrowDown: "forward", ArrowLeft: "backward", ArrowUp: "backward" };
      const unit = event.key === "ArrowUp" || event.key === "ArrowDown" ? "line" : event.ctrlKey ? "word" : "character";
      selection.modify("extend", direction[event.key], unit);
      // selectionchange comes later, as its own task: a key pressed at once must see this selection.
      readSelection();
      return;
    }
    if (!canEdit || event.ctrlKey || event.metaKey || event.altKey) return;
    // On a button, link or disclosure Enter and letters keep their own meaning.
    if (document.activeElement && document.activeElement.closest("button, a, summary, label")) return;
    // A selection made with the mouse just before the key may not have reached state yet.
    readSelection();
    if (/^[1-9]$/.test(event.key)) {
      const option = document.querySelector(`#coding-codes .code-option[data-shortcut="${event.key}"]`);
      if (!option) return;
      event.preventDefault();
      if (state.selection) createExcerpt([option.dataset.codeId]);
      else if (state.focused !== null) addCodes([option.dataset.codeId]);
    } else if (event.key === "Enter" && (state.selection || state.focused !== null)) {
      event.preventDefault();
      applyChosen();
    } else if ((event.key === "n" || event.key === "N") && state.selection) {
      event.preventDefault();
      createExcerpt(checkedCodes(), true);
    } else if (event.key === "/") {
      const search = document.getElementById("code-search");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    }
  });
}

if (typeof document !== "undefined") {
  const boot = () => {
    const root = document.getElementById("coding");
    if (root) start(root);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
}
