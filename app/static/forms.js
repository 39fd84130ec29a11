// Every page: put the cursor where the work starts. A refused form's error summary first,
// otherwise the first field marked data-autofocus; without scrolling, so that what a task page
// shows above its form stays in view.
document.addEventListener("DOMContentLoaded", () => {
  let target =
    document.querySelector(".error-summary[data-autofocus]") ||
    document.querySelector("[data-autofocus]");
  if (target && target.matches("fieldset")) {
    target = target.querySelector("input");
  }
  if (target && document.activeElement === document.body) {
    target.focus({ preventScroll: !target.classList.contains("error-summary") });
  }
});
