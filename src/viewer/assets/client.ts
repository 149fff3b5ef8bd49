/**
 * The viewer's one client script (no build step, no framework): relative times, tool results
 * moved next to their calls, scroll paging (older and newer messages, more threads), live updates
 * over Server-Sent Events with reconnects, the version slider, j/k between messages, rows or
 * search results, and / to the search box.
 * Kept as a string so that it ships inside the package's JavaScript; it is plain ES2020.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var page = document.body.dataset.page;
  var live = document.getElementById('live');

  function rel(ms) {
    var s = Math.round((Date.now() - ms) / 1000);
    if (s < 45) return 'just now';
    var m = Math.round(s / 60); if (m < 60) return m + ' min ago';
    var h = Math.round(m / 60); if (h < 24) return h + ' h ago';
    var d = Math.round(h / 24); if (d < 30) return d + ' d ago';
    var mo = Math.round(d / 30); if (mo < 12) return mo + ' mo ago';
    return Math.round(mo / 12) + ' y ago';
  }
  function times(root) {
    root.querySelectorAll('time[data-ts]').forEach(function (t) { t.textContent = rel(Number(t.dataset.ts)); });
  }
  setInterval(function () { times(document); }, 30000);

  function fragment(text) {
    var t = document.createElement('template');
    t.innerHTML = text;
    return t.content;
  }
  function get(url) {
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } }).then(function (r) {
      if (r.status === 401) { location.href = '/signin'; throw new Error('signed out'); }
      if (!r.ok) { var err = new Error(url + ': ' + r.status); err.status = r.status; throw err; }
      return r.text();
    });
  }

  // Tool results go into the slot of the call they answer, wherever the two were rendered.
  function pair(root) {
    root.querySelectorAll('.tool-result[data-for]').forEach(function (res) {
      if (res.parentElement && res.parentElement.classList.contains('tool-slot')) return;
      var call = document.querySelector('.tool-call[data-call="' + CSS.escape(res.dataset.for) + '"]');
      if (!call) return;
      var from = res.closest('.msg');
      call.querySelector('.tool-slot').appendChild(res);
      call.classList.add(res.classList.contains('is-error') ? 'is-error' : 'done');
      if (from && from.classList.contains('only-results') && !from.querySelector('.tool-result')) from.classList.add('paired');
    });
  }
  function prepare(root) { times(root); pair(root); }
  // Drops the messages of a fragment the page already shows (before pairing, so that a result is
  // never paired twice); answers how many are new.
  function dedupe(frag) {
    var fresh = 0;
    frag.querySelectorAll('.msg').forEach(function (m) { if (document.getElementById(m.id)) m.remove(); else fresh++; });
    return fresh;
  }

  // Paging: a sentinel element loads its page when it scrolls into view.
  var busy = new WeakSet();
  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) load(e.target); });
  }, { rootMargin: '600px 0px' });
  function watch(root) { root.querySelectorAll('.sentinel').forEach(function (s) { io.observe(s); }); }
  function load(s) {
    if (busy.has(s)) return;
    busy.add(s);
    var url = s.dataset.older || s.dataset.newer || s.dataset.next;
    get(url).then(function (text) {
      var frag = fragment(text);
      dedupe(frag);
      prepare(frag);
      frag.querySelectorAll('.window-meta').forEach(function (m) { m.remove(); });
      var fresh = Array.prototype.slice.call(frag.querySelectorAll('.sentinel'));
      if (s.dataset.older) {
        // Keep what the reader is looking at in place while older messages go in above it.
        var before = document.documentElement.scrollHeight;
        s.replaceWith(frag);
        window.scrollBy(0, document.documentElement.scrollHeight - before);
      } else {
        s.replaceWith(frag);
      }
      pair(document);
      fresh.forEach(function (x) { io.observe(x); });
      if (s.dataset.newer) updateLiveEdge();
    }).catch(function () { busy.delete(s); });
  }

  // Thread page
  var messages = document.getElementById('messages');
  var threadId = document.body.dataset.thread;
  function lastId() {
    var all = messages.querySelectorAll('.msg');
    return all.length ? all[all.length - 1].dataset.id : null;
  }
  function updateLiveEdge() {
    if (!messages.querySelector('.sentinel.newer') && !document.body.dataset.at) messages.dataset.live = '1';
  }
  // One catch-up at a time; a change that arrives meanwhile runs another one after it.
  var catching = false;
  var again = false;
  function catchUp() {
    if (!messages || messages.dataset.live !== '1') return;
    if (catching) { again = true; return; }
    catching = true;
    again = false;
    var id = lastId();
    var url = messages.dataset.base + (id ? '?after=' + encodeURIComponent(id) : '');
    get(url).then(function (text) {
      var frag = fragment(text);
      var added = dedupe(frag);
      prepare(frag);
      var meta = frag.querySelector('.window-meta');
      var total = meta ? Number(meta.dataset.total) : NaN;
      if (meta) meta.remove();
      var atBottom = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 80;
      var empty = messages.querySelector('.empty');
      if (empty && frag.querySelector('.msg')) empty.remove();
      var newer = frag.querySelector('.sentinel.newer');
      if (newer) { messages.dataset.live = '0'; }
      messages.appendChild(frag);
      pair(document);
      if (newer) io.observe(newer);
      var count = document.getElementById('thread-count');
      var known = count ? Number(count.textContent.replace(/,/g, '')) + added : NaN;
      if (count && !isNaN(total)) count.textContent = total.toLocaleString('en-US');
      if (atBottom) window.scrollTo(0, document.documentElement.scrollHeight);
      // More messages than the page has seen arrive: one was merged in above the newest (a device
      // that was offline synced). Show the newest page again, in the thread's order.
      if (total > known) reloadNewest(atBottom);
    }).catch(function (err) {
      // The last message shown is gone (the thread was truncated or rewritten): start again.
      if (err && err.status === 404) location.reload();
    }).then(function () { catching = false; if (again) catchUp(); });
  }
  function reloadNewest(toBottom) {
    get(messages.dataset.base).then(function (text) {
      var frag = fragment(text);
      times(frag);
      frag.querySelectorAll('.window-meta').forEach(function (m) { m.remove(); });
      // Cleared before pairing: a result must find the call that is shown, not the one replaced.
      messages.innerHTML = '';
      messages.appendChild(frag);
      pair(document);
      watch(messages);
      if (toBottom) window.scrollTo(0, document.documentElement.scrollHeight);
    }).catch(function () {});
  }
  // Usage sums are fetched after the page (they are not needed for its first paint).
  var usage = document.getElementById('usage');
  var usageBusy = false;
  var usageAgain = false;
  function loadUsage() {
    if (!usage) return;
    if (usageBusy) { usageAgain = true; return; }
    usageBusy = true;
    usageAgain = false;
    get(usage.dataset.src).then(function (text) { usage.innerHTML = ''; usage.appendChild(fragment(text)); })
      .catch(function () {}).then(function () { usageBusy = false; if (usageAgain) loadUsage(); });
  }
  // The thread map is fetched again when the thread changes (a sub-agent, handoff or fork adds a
  // link to its head; a mention of it adds a mention:link op; a message of it may mention another)
  // or a thread drawn on it does (its title, count or archived state); one fetch at a time, the
  // last change fetched after it.
  var mapSlot = document.getElementById('map-slot');
  var mapBusy = false;
  var mapAgain = false;
  var mapText = null;
  function loadMap() {
    if (!mapSlot) return;
    if (mapBusy) { mapAgain = true; return; }
    mapBusy = true;
    mapAgain = false;
    get(mapSlot.dataset.src).then(function (text) {
      // Most changes (a message) leave the map as it was: then the nodes stay, focus and hover too.
      if (text === mapText) return;
      mapText = text;
      var box = mapSlot.querySelector('.map-scroll');
      var left = box ? box.scrollLeft : null;
      mapSlot.innerHTML = text;
      box = mapSlot.querySelector('.map-scroll');
      if (box) box.scrollLeft = left !== null ? left : (box.scrollWidth - box.clientWidth) / 2;
    }).catch(function () {}).then(function () { mapBusy = false; if (mapAgain) loadMap(); });
  }
  function onMap(id) {
    return !!(mapSlot && mapSlot.querySelector('#thread-map [data-id="' + CSS.escape(id) + '"], #thread-map [data-to="' + CSS.escape(id) + '"]'));
  }
  function onThreadChange(ev) {
    if (ev.id !== threadId) {
      // A sub-agent or summary that changed moves the tree's totals.
      if (document.querySelector('.relations a[href="/t/' + CSS.escape(ev.id) + '"]')) loadUsage();
      if (onMap(ev.id)) loadMap();
      return;
    }
    loadUsage();
    loadMap();
    var v = document.getElementById('thread-v');
    if (v && ev.v > Number(v.textContent)) {
      v.textContent = ev.v;
      var max = document.getElementById('version-max'); if (max) max.textContent = ev.v;
      var slider = document.getElementById('version');
      if (slider) { var follow = slider.value === slider.max && !document.body.dataset.at; slider.max = ev.v; if (follow) { slider.value = ev.v; document.getElementById('version-out').textContent = ev.v; } }
    }
    catchUp();
  }

  // List page
  var threads = document.getElementById('threads');
  function onListChange(ev) {
    var q = threads.dataset.filters;
    get('/ui/row/' + encodeURIComponent(ev.id) + (q ? '?' + q : '')).then(function (text) {
      var old = threads.querySelector('.row[data-id="' + CSS.escape(ev.id) + '"]');
      if (old) old.remove();
      var frag = fragment(text);
      prepare(frag);
      var row = frag.querySelector('.row');
      if (!row) return;
      threads.insertBefore(row, threads.firstChild);
      var empty = document.querySelector('.empty'); if (empty) empty.remove();
    }).catch(function () {});
  }

  // Live updates: one event stream; the browser reconnects it, and so do we if it gives up.
  var es = null;
  var opened = false;
  function connect() {
    es = new EventSource('/ui/events');
    es.addEventListener('open', function () {
      if (live) { live.classList.add('on'); live.title = 'live'; }
      // Whatever was written between the page (or the last stream) and this one is fetched now.
      if (page === 'thread') catchUp();
      if (opened) { loadUsage(); loadMap(); }
      opened = true;
    });
    es.addEventListener('change', function (e) {
      var ev; try { ev = JSON.parse(e.data); } catch (x) { return; }
      if (page === 'thread') onThreadChange(ev);
      else if (page === 'list') onListChange(ev);
    });
    es.addEventListener('error', function () {
      if (live) { live.classList.remove('on'); live.title = 'reconnecting'; }
      if (es.readyState === EventSource.CLOSED) { es.close(); setTimeout(connect, 1000); }
    });
  }
  if (page === 'thread' || page === 'list') connect();

  // Keyboard: j/k move between messages (or rows), Enter opens a row.
  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(page === 'list' ? '.row' : page === 'search' ? '.result' : '.msg:not(.paired)'));
  }
  var current = -1;
  function focusItem(i) {
    var all = items();
    if (!all.length) return;
    i = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (el) { el.classList.remove('focus'); });
    var el = all[i];
    el.classList.add('focus');
    el.scrollIntoView({ block: 'nearest' });
    current = i;
    if (page === 'thread') history.replaceState(null, '', '#' + el.id);
  }
  var searchBox = document.getElementById('search-q');
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) {
      if (t === searchBox && e.key === 'Escape') searchBox.blur();
      return;
    }
    if (e.key === '/' && searchBox) { e.preventDefault(); searchBox.focus(); searchBox.select(); return; }
    var all = items();
    if (current < 0 || current >= all.length || !all[current].classList.contains('focus')) {
      var h = location.hash ? document.getElementById(location.hash.slice(1)) : null;
      current = h ? all.indexOf(h) : (page === 'thread' ? all.length : -1);
    }
    if (e.key === 'j') { focusItem(current + 1); e.preventDefault(); }
    else if (e.key === 'k') { focusItem(current - 1); e.preventDefault(); }
    else if (e.key === 'Enter' && (page === 'list' || page === 'search') && current >= 0) { var a = all[current].querySelector('a'); if (a) a.click(); }
  });

  // Version slider: shows the number while dragging, goes to that version when let go.
  var slider = document.getElementById('version');
  if (slider) {
    slider.addEventListener('input', function () { document.getElementById('version-out').textContent = slider.value; });
    slider.addEventListener('change', function () {
      location.href = '/t/' + threadId + (slider.value === slider.max ? '' : '?v=' + slider.value);
    });
  }

  // A thread map wider than the screen (a phone) starts scrolled to the thread in its middle.
  var mapBox = document.querySelector('.map-scroll');
  if (mapBox && mapBox.scrollWidth > mapBox.clientWidth) mapBox.scrollLeft = (mapBox.scrollWidth - mapBox.clientWidth) / 2;

  // A thread-map link to a message of this thread that is not on the page: open the page around it.
  window.addEventListener('hashchange', function () {
    var h = location.hash.slice(1);
    if (page === 'thread' && /^m-/.test(h) && !document.getElementById(h)) location.reload();
  });

  prepare(document);
  watch(document);
  loadUsage();
  if (page === 'thread' && messages) {
    var hash = location.hash.slice(1);
    var target = hash ? document.getElementById(hash) : null;
    if (hash && !target && /^m-/.test(hash)) {
      // A link to a message outside the newest page: show the page around it.
      var at = document.body.dataset.at;
      messages.dataset.live = '0';
      get(messages.dataset.base + (at ? '&' : '?') + 'around=' + encodeURIComponent(hash.slice(2))).then(function (text) {
        messages.innerHTML = '';
        var frag = fragment(text);
        prepare(frag);
        messages.appendChild(frag);
        messages.dataset.live = messages.querySelector('.sentinel.newer') || at ? '0' : '1';
        pair(document);
        watch(messages);
        var el = document.getElementById(hash);
        if (el) { el.classList.add('focus'); el.scrollIntoView({ block: 'start' }); }
      }).catch(function () {
        // No such message here: show the newest, as without a link.
        if (!at) messages.dataset.live = '1';
        window.scrollTo(0, document.documentElement.scrollHeight);
      });
    } else if (target) {
      target.classList.add('focus');
      target.scrollIntoView({ block: 'start' });
    } else {
      window.scrollTo(0, document.documentElement.scrollHeight);
    }
  }
})();
`;
