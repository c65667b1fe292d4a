// Kassa's dashboard: the Copy buttons (data-copy="ID" copies the text of element ID).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard (an insecure origin): select the text so that Ctrl+C copies it.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 2000);
});

// The definition editor's line numbers scroll with its text.
document.addEventListener("scroll", (event) => {
  const area = event.target;
  if (!(area instanceof HTMLTextAreaElement) || !area.parentElement.classList.contains("code-editor")) return;
  area.parentElement.querySelector(".gutter").scrollTop = area.scrollTop;
}, true);

// The builder's parts that apply to one choice only (data-when="NAME=VALUE": shown while the
// radio button NAME has VALUE checked). Without JavaScript every part shows, each saying when
// it applies, and the server reads only the chosen one's.
function showChosen(form) {
  form.querySelectorAll("[data-when]").forEach((part) => {
    const [name, value] = part.dataset.when.split("=");
    const chosen = form.querySelector(`input[type="radio"][name="${name}"]:checked`);
    part.hidden = chosen !== null && chosen.value !== value;
  });
}
document.addEventListener("change", (event) => { if (event.target.form) showChosen(event.target.form); });
document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("form").forEach(showChosen));
