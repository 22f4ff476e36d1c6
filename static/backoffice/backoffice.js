/* The back office's menu under 1024 px: the Menu button shows and hides the navigation. */
document.documentElement.classList.add("backoffice-js");
document.addEventListener("DOMContentLoaded", () => {
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
