// Copy a freshly created API key to the clipboard (the key page shows it once).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById("copy-status");
  input.select();
  const done = () => { if (status) status.textContent = "Copied to the clipboard."; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(input.value).then(done, () => {
      if (status) status.textContent = "Select the key and copy it by hand (Ctrl+C).";
    });
  } else if (status) {
    status.textContent = "Selected: press Ctrl+C to copy.";
  }
});
