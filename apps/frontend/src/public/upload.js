// "Upload photos" (images page) and "Add a photo" (people page): each file is posted on its own with XMLHttpRequest,
// for its progress, carrying the session's CSRF token in X-CSRF-Token. Results are built with textContent only.
(function () {
  'use strict';
  if (!window.FormData || !window.XMLHttpRequest) return;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csrfOf(form) {
    var field = form.querySelector('input[name="_csrf"]');
    return field ? field.value : '';
  }

  // One file as a multipart `file` part (never the CSRF field: it travels in the header and stays in this app).
  function post(url, csrf, file, onProgress, onDone) {
    var body = new FormData();
    body.append('file', file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = function () {
      var answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        answer = null;
      }
      onDone(xhr.status, answer);
    };
    xhr.onerror = function () {
      onDone(0, null);
    };
    xhr.send(body);
  }

  function refusal(status, answer) {
    if (answer && typeof answer.message === 'string') return answer.message;
    if (status === 403) return 'Not allowed: reload the page (the form expired) or sign in with a key that may upload.';
    return status ? 'The dashboard answered ' + status + '.' : 'The dashboard is not reachable.';
  }

  // ---- images page: several files, picked or dropped anywhere on the page
  var section = document.querySelector('[data-upload]');
  if (section) {
    var form = section.querySelector('[data-upload-form]');
    var input = section.querySelector('#upload-files');
    var zone = section.querySelector('[data-drop-zone]');
    var results = section.querySelector('[data-upload-results]');
    var queue = [];
    var busy = false;

    function describe(item, answer) {
      item.status.textContent = '';
      if (answer.error) {
        item.row.classList.add('is-error');
        item.status.textContent = answer.error.message;
        return;
      }
      var link = el('a', null, 'image #' + answer.id);
      link.href = '/images/' + answer.id;
      item.status.appendChild(document.createTextNode(answer.duplicate ? 'Already uploaded as ' : 'Queued as '));
      item.status.appendChild(link);
      if (answer.duplicate) item.status.appendChild(document.createTextNode(' (' + answer.status + ')'));
      item.row.classList.add('is-done');
    }

    function next() {
      if (busy || queue.length === 0) return;
      busy = true;
      var item = queue.shift();
      item.status.textContent = 'Uploading…';
      post(
        '/upload',
        csrfOf(form),
        item.file,
        function (share) {
          item.progress.value = Math.round(share * 100);
        },
        function (status, answer) {
          item.progress.value = 100;
          var first = answer && answer.images && answer.images[0];
          if (status === 202 && first) describe(item, first);
          else {
            item.row.classList.add('is-error');
            item.status.textContent = refusal(status, answer);
          }
          busy = false;
          next();
        },
      );
    }

    function add(files) {
      for (var i = 0; i < files.length; i++) {
        var row = el('li', 'upload__item');
        var name = el('span', 'upload__name', files[i].name);
        var progress = el('progress', 'upload__progress');
        progress.max = 100;
        progress.value = 0;
        progress.setAttribute('aria-label', 'Upload of ' + files[i].name);
        var status = el('span', 'upload__status', 'Waiting…');
        row.appendChild(name);
        row.appendChild(progress);
        row.appendChild(status);
        results.appendChild(row);
        queue.push({ file: files[i], row: row, progress: progress, status: status });
      }
      next();
    }

    input.addEventListener('change', function () {
      add(input.files);
      input.value = '';
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
    });
    // The whole page is the drop target, so a photo dropped beside the box is not opened by the browser instead.
    document.addEventListener('dragover', function (event) {
      if (!event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, 'Files') < 0) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      zone.classList.add('is-over');
    });
    document.addEventListener('dragleave', function (event) {
      if (event.relatedTarget === null) zone.classList.remove('is-over');
    });
    document.addEventListener('drop', function (event) {
      if (!event.dataTransfer || event.dataTransfer.files.length === 0) return;
      event.preventDefault();
      zone.classList.remove('is-over');
      add(event.dataTransfer.files);
    });
  }

  // ---- people page: "Add a photo" on a person's card, then the page again with the outcome
  var photoForms = document.querySelectorAll('[data-photo-form]');
  Array.prototype.forEach.call(photoForms, function (photoForm) {
    photoForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var picker = photoForm.querySelector('input[type="file"]');
      var status = photoForm.querySelector('[data-photo-status]');
      var button = photoForm.querySelector('button[type="submit"]');
      if (!picker.files.length) return;
      button.disabled = true;
      status.textContent = 'Uploading…';
      post(
        photoForm.action,
        csrfOf(photoForm),
        picker.files[0],
        function (share) {
          status.textContent = 'Uploading… ' + Math.round(share * 100) + ' %';
        },
        function (code, answer) {
          if (code === 201 || (answer && typeof answer.message === 'string')) {
            window.location.hash = photoForm.closest('.person') ? photoForm.closest('.person').id : '';
            window.location.reload();
            return;
          }
          button.disabled = false;
          status.textContent = refusal(code, answer);
        },
      );
    });
  });
})();
