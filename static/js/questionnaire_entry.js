// The questionnaire entry screen: typing in paper forms with the keyboard only.
// Enter saves (Ctrl+Enter inside a text box); a digit on a choice ticks that option;
// after saving, the cursor starts on the first field of the next blank form.
const form = document.querySelector("[data-entry-form]");

if (form) {
  const focusTarget = form.dataset.focus && document.getElementById(form.dataset.focus);
  if (focusTarget) {
    focusTarget.focus();
    if (typeof focusTarget.select === "function" && focusTarget.tagName === "INPUT" && focusTarget.type === "text") {
      focusTarget.select();
    }
  }

  let submitting = false;
  const submit = () => {
    if (submitting) return;
    submitting = true;
    form.requestSubmit();
  };
  form.addEventListener("submit", () => {
    submitting = true;
  });

  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter") {
      if (target.tagName === "TEXTAREA" && !(event.ctrlKey || event.metaKey)) return;
      if (target.tagName === "BUTTON" || target.tagName === "A") return;
      event.preventDefault();
      submit();
      return;
    }
    const group = target.closest && target.closest("[data-choice-group]");
    if (!group || !/^[0-9]$/.test(event.key) || event.ctrlKey || event.metaKey || event.altKey) return;
    const option = group.querySelector(`input[data-key="${event.key}"]`);
    if (!option) return;
    event.preventDefault();
    if (option.type === "radio") {
      option.checked = true;
    } else {
      option.checked = !option.checked;
    }
    option.focus();
  });
}
