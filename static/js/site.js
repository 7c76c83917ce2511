// Small behaviours of every page. No inline scripts, so a Content-Security-Policy can forbid them.
(function () {
  "use strict";

  // "Show password" buttons: <button data-password-toggle="id_password" data-label-show=".." data-label-hide="..">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-password-toggle]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-password-toggle"));
    if (!input) return;
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", show ? "true" : "false");
    button.setAttribute("aria-label", button.getAttribute(show ? "data-label-hide" : "data-label-show"));
    var icon = button.querySelector(".bi");
    if (icon) {
      icon.classList.toggle("bi-eye", !show);
      icon.classList.toggle("bi-eye-slash", show);
    }
    input.focus();
  });

  // <form data-submit-once>: a second tap while the next page loads does not send the form again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-submit-once")) return;
    if (form.dataset.submitted === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "true";
    // Reset when the page is shown again from the back-forward cache.
    window.addEventListener("pageshow", function () {
      form.dataset.submitted = "false";
    }, { once: true });
  });
})();
