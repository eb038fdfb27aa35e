// triggerhub console: live refresh, actions through the API's own routes, copy as curl.
// Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var flash = document.getElementById("flash");

  function say(text, bad) {
    if (!flash) return;
    flash.textContent = text;
    flash.className = bad ? "flash bad" : "flash";
    flash.hidden = false;
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error(json.error || ("HTTP " + response.status));
        return json;
      });
    });
  }

  // --- live updates: the server says "changed" at most once a second; refetch this page
  var live = document.getElementById("live");
  var status = document.getElementById("live-status");
  var busy = false, again = false;

  function picked() {
    return Array.prototype.map.call(document.querySelectorAll(".pick:checked"), function (b) { return b.value; });
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var keep = picked();
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "live" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status)); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (fresh && live) {
          live.replaceChildren.apply(live, Array.prototype.slice.call(fresh.childNodes));
          keep.forEach(function (id) {
            var box = live.querySelector('.pick[value="' + id + '"]');
            if (box) box.checked = true;
          });
          bindPicks();
        }
        if (status) status.textContent = "updated " + new Date().toLocaleTimeString();
      })
      .catch(function () { if (status) status.textContent = "update failed"; })
      .finally(function () {
        busy = false;
        if (again) { again = false; setTimeout(refresh, 1000); }
      });
  }

  if (live && window.EventSource) {
    var source = new EventSource("/ui/live");
    var first = true;
    source.addEventListener("change", function () {
      if (first) { first = false; if (status) status.textContent = "live"; return; }
      refresh();
    });
    source.onerror = function () { if (status) status.textContent = "reconnecting…"; };
  }

  // --- single actions: stop, redrive, pause, resume
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var question = button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    button.disabled = true;
    post(button.getAttribute("data-action"))
      .then(function () { say(button.textContent.trim() + ": done"); refresh(); })
      .catch(function (error) { say(button.textContent.trim() + " failed: " + error.message, true); })
      .finally(function () { button.disabled = false; });
  });

  // --- copy as curl
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = document.getElementById(button.getAttribute("data-copy")).textContent;
    var done = function () { say("Copied the curl command."); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { say("Select the command below and copy it.", true); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(document.getElementById(button.getAttribute("data-copy")));
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { document.execCommand("copy"); done(); } catch (e) { say("Press Ctrl+C to copy.", true); }
    }
  });

  // --- bulk actions: the selected invocations, or every one matching the filter
  function bindPicks() {
    var count = document.getElementById("selected-count");
    if (!count) return;
    var n = picked().length;
    count.textContent = String(n);
    document.querySelectorAll('[data-scope="selected"]').forEach(function (b) { b.disabled = n === 0; });
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      document.querySelectorAll(".pick").forEach(function (b) { b.checked = event.target.checked; });
    }
    if (event.target.classList.contains("pick") || event.target.id === "select-all") bindPicks();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-bulk]");
    if (!button) return;
    var verb = button.getAttribute("data-bulk");
    var path = "/v1/invocations/" + verb;
    var filter = button.getAttribute("data-scope") === "selected"
      ? { ids: picked() }
      : JSON.parse(button.getAttribute("data-filter") || "{}");
    button.disabled = true;
    post(path, Object.assign({}, filter, { dry_run: true }))
      .then(function (dry) {
        var scope = filter.ids ? "selected" : "matching the filter";
        if (!window.confirm(verb.charAt(0).toUpperCase() + verb.slice(1) + " " + dry.matched +
                            " invocation(s) " + scope + "?")) return null;
        return post(path, filter);
      })
      .then(function (result) {
        if (result) { say(verb + ": " + result.changed + " of " + result.matched + " changed"); refresh(); }
      })
      .catch(function (error) { say(verb + " failed: " + error.message, true); })
      .finally(function () { button.disabled = false; bindPicks(); });
  });

  bindPicks();
})();
