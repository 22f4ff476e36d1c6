/* The back office's menu under 1024 px: the Menu button shows and hides the navigation.
   And the fields of Django's tabular inlines, which have only a column header, are named
   after it (with the row's number) for screen readers. */
document.documentElement.classList.add("backoffice-js");

function nameInlineFields(root) {
  root.querySelectorAll(".inline-group .tabular table").forEach((table) => {
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    table.querySelectorAll("thead th").forEach((th) => {
      if (!th.textContent.trim()) th.insertAdjacentHTML("beforeend", '<span class="visually-hidden">Row</span>');
    });
    table.querySelectorAll("tbody tr.form-row").forEach((row, rowIndex) => {
      [...row.children].forEach((cell, column) => {
        const header = headers[column];
        if (!header) return;
        cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach((field) => {
          const labelled = field.labels && field.labels.length;
          if (!labelled && !field.hasAttribute("aria-label")) {
            field.setAttribute("aria-label", `${header} (row ${rowIndex + 1})`);
          }
        });
      });
    });
  });
}

document.addEventListener("formset:added", () => nameInlineFields(document));
document.addEventListener("DOMContentLoaded", () => {
  nameInlineFields(document);
  const button = document.getElementById("backoffice-menu");
  const nav = document.getElementById("backoffice-nav");
  if (!button || !nav) return;
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("is-open", open);
  };
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    setOpen(open);
    if (open) nav.querySelector("a").focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("is-open")) {
      setOpen(false);
      button.focus();
    }
  });
});
