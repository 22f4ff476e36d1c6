/* Copy buttons: data-copy-target names the element whose text is copied; the page's
   status line says it was copied (or how to copy by hand). */
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  const status = document.querySelector(".backoffice-copied");
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    if (status) status.textContent = "Copied.";
  } catch {
    if (status) status.textContent = "Select the text and copy it (your browser did not allow it).";
  }
});
