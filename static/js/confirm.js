// Asks before sending a form marked data-confirm (removing a cohort member, ...).
// Without JavaScript the form is simply sent: the page works either way.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
