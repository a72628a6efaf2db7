// Live updates of the images table: polls /api/images/changes and patches rows in place.
// Built with DOM APIs and textContent only, so data from the server is never parsed as HTML.
(function () {
  'use strict';
  var table = document.getElementById('images-table');
  if (!table || !window.fetch) return;
  var tbody = table.tBodies[0];
  var since = table.dataset.since;
  var firstPage = table.dataset.firstPage === 'true';
  var pageSize = Number(table.dataset.pageSize) || 50;
  var status = table.dataset.status || '';
  var q = table.dataset.q || '';
  var person = table.dataset.person || '';
  var liveStatus = document.getElementById('live-status');
  var liveDot = document.querySelector('.live-dot');
  var INTERVAL_MS = 2000;
  var timer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cell(label, className) {
    var td = el('td', className);
    if (label) td.dataset.label = label;
    return td;
  }

  function dash() {
    return el('span', 'muted', '\u2014');
  }

  function withTitle(node, title) {
    node.title = title;
    return node;
  }

  function badge(row) {
    var span = el('span', 'badge badge--' + row.status);
    span.dataset.status = row.status;
    span.appendChild(el('span', 'badge__dot')).setAttribute('aria-hidden', 'true');
    span.appendChild(document.createTextNode(row.statusLabel));
    return span;
  }

  // Mirrors breakablePath (common/view-engine.ts): a line break allowed after `/`, `_`, `-` and `.`, not inside words.
  function pathLink(href, path) {
    var a = link(href, 'path');
    path.split(/([/_.-])/).forEach(function (part) {
      if (part) a.appendChild(document.createTextNode(part));
      if (/^[/_.-]$/.test(part)) a.appendChild(document.createElement('wbr'));
    });
    return a;
  }

  function link(href, className, text) {
    var a = el('a', className, text);
    a.href = href;
    return a;
  }

  // Mirrors views/partials/image-row.hbs.
  function buildRow(row) {
    var tr = el('tr');
    tr.dataset.id = String(row.id);
    tr.dataset.version = row.version;

    tr.appendChild(cell('ID', 'col-id')).appendChild(link(row.detailUrl, '', '#' + row.id));

    var thumbLink = link(row.detailUrl, '');
    thumbLink.tabIndex = -1;
    thumbLink.setAttribute('aria-hidden', 'true');
    var img = el('img', 'thumb');
    img.src = row.thumbnailUrl;
    img.alt = '';
    img.width = 48;
    img.height = 48;
    img.loading = 'lazy';
    thumbLink.appendChild(img);
    tr.appendChild(cell('', 'col-thumb')).appendChild(thumbLink);

    tr.appendChild(cell('Path', 'col-path')).appendChild(pathLink(row.detailUrl, row.path));

    var persons = tr.appendChild(cell('Persons', 'col-persons'));
    if (row.persons.length === 0) persons.appendChild(dash());
    row.persons.forEach(function (name) {
      persons.appendChild(el('span', 'chip', name));
    });

    tr.appendChild(cell('Status', 'col-status')).appendChild(badge(row));
    tr.appendChild(cell('Faces', 'col-num')).textContent = String(row.faceCount);
    tr.appendChild(cell('Attempts', 'col-num')).textContent = String(row.attempts);
    tr.appendChild(cell('Last error', 'col-error')).appendChild(
      row.lastError ? withTitle(el('span', 'error-text', row.lastError), row.lastError) : dash(),
    );
    var time = el('time', '', row.updatedText);
    time.setAttribute('datetime', row.updatedAt);
    tr.appendChild(cell('Updated', 'col-time')).appendChild(time);
    return tr;
  }

  function shownRows() {
    return Array.prototype.slice.call(tbody.querySelectorAll('tr[data-id]'));
  }

  function fresh(tr) {
    tr.classList.remove('is-fresh');
    void tr.offsetWidth; // restart the highlight animation
    tr.classList.add('is-fresh');
  }

  function apply(change) {
    var changed = 0;
    var added = 0;
    change.rows.forEach(function (row) {
      var existing = tbody.querySelector('tr[data-id="' + row.id + '"]');
      if (existing) {
        if (existing.dataset.version === row.version) return;
        var replacement = buildRow(row);
        tbody.replaceChild(replacement, existing);
        fresh(replacement);
        changed += 1;
        return;
      }
      // New rows only belong on the first page (newest first), and only if they pass the filter.
      if (!firstPage || !row.matchesFilter) return;
      var rows = shownRows();
      var newer = rows.length === 0 || row.id > Number(rows[rows.length - 1].dataset.id) || rows.length < pageSize;
      if (!newer) return;
      var before =
        rows.find(function (tr) {
          return Number(tr.dataset.id) < row.id;
        }) || null;
      var empty = tbody.querySelector('.empty-row');
      if (empty) empty.remove();
      var tr = buildRow(row);
      tbody.insertBefore(tr, before);
      fresh(tr);
      added += 1;
    });
    var rows = shownRows();
    if (rows.length > pageSize) {
      rows.slice(pageSize).forEach(function (tr) {
        tr.remove();
      });
      var older = document.querySelector('[data-older-link]');
      if (older) {
        var params = new URLSearchParams(location.search);
        params.delete('newer');
        params.set('older', rows[pageSize - 1].dataset.id);
        older.href = '/?' + params.toString();
        older.hidden = false;
      }
    }
    // A count may be shown twice (its card, and the headline of a page filtered by that status).
    (change.counts || []).forEach(function (count) {
      document.querySelectorAll('[data-count-for="' + count.status + '"]').forEach(function (node) {
        node.textContent = String(count.count);
      });
    });
    if (change.total !== undefined) {
      document.querySelectorAll('[data-count-for="total"]').forEach(function (node) {
        node.textContent = String(change.total);
      });
    }
    if ((changed || added) && liveStatus) {
      liveStatus.textContent =
        (added ? added + ' new image' + (added > 1 ? 's' : '') + '. ' : '') +
        (changed ? changed + ' image' + (changed > 1 ? 's' : '') + ' updated.' : '');
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, INTERVAL_MS);
  }

  function poll() {
    if (document.hidden) return schedule();
    var params = new URLSearchParams({ since: since });
    if (status) params.set('status', status);
    if (q) params.set('q', q);
    if (person) params.set('person', person);
    fetch('/api/images/changes?' + params.toString(), { headers: { accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (change) {
        since = change.cursor;
        apply(change);
        if (liveDot) liveDot.classList.remove('is-offline');
      })
      .catch(function () {
        if (liveDot) liveDot.classList.add('is-offline');
      })
      .then(schedule);
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) poll();
  });
  schedule();
})();

// Detail page of an image that is still pending, processing or retrying: reload once it changes.
(function () {
  'use strict';
  var head = document.querySelector('[data-watch-image]');
  if (!head || !window.fetch) return;
  var url = '/api/images/' + encodeURIComponent(head.dataset.watchImage);
  var version = head.dataset.version;
  function poll() {
    if (document.hidden) return setTimeout(poll, 2000);
    fetch(url, { headers: { accept: 'application/json' } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (row) {
        if (row && row.version !== version) location.reload();
        else setTimeout(poll, 2000);
      })
      .catch(function () {
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 2000);
})();
