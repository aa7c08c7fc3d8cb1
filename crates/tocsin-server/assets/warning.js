// The action buttons of the warning and incident pages (release a draft, cancel a warning,
// acknowledge a notification, mark a task done): each posts to the API with the session's CSRF
// token, then shows the new state.
'use strict';
(() => {
  const status = document.getElementById('action-status');
  document.querySelectorAll('button[data-post]').forEach((button) => {
    button.addEventListener('click', async () => {
      // A button that changes what the public reads (cancelling a warning) asks first.
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      button.disabled = true;
      try {
        await tocsin.post(button.dataset.post);
        location.reload();
      } catch (e) {
        status.textContent = `${tocsin.labels.failed} ${e.message}`;
        button.disabled = false;
      }
    });
  });
})();
