// Copy buttons of the admin's service links page. Without JavaScript the fields stay
// read-only and selectable, so nothing depends on this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const field of document.querySelectorAll(".optout-link")) {
    field.addEventListener("focus", () => field.select());
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      if (!field) {
        return;
      }
      field.select();
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = "✓";
      } catch {
        button.textContent = "⚠";
      }
      setTimeout(() => {
        button.textContent = label;
      }, 1500);
    });
  }
});
