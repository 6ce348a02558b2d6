// The tool access matrix: Escape in an open cell form cancels the edit.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const form = event.target.closest && event.target.closest(".rbac-form");
  if (!form) return;
  const cancel = form.querySelector(".rbac-cancel");
  if (cancel) {
    event.preventDefault();
    cancel.click();
  }
});
