// drone console: live updates and small comforts. Every page works without
// this script; with it, a page's live regions follow changes made anywhere
// (Slack, Discord, the command line, another browser) within a second or two.
(function () {
  "use strict";

  // Live regions: the server sends "change" events on /events; the page
  // then fetches itself again and swaps each [data-live-region] element by
  // id. Forms outside the regions keep what the user is typing.
  var live = document.body.getAttribute("data-live");

  // keepTyping carries what the person typed or chose in the forms of a
  // region into its fresh copy, field by field (same form action, same
  // name), so that a live update keeps their work but shows the choices the
  // incident has now: a choice that is no longer offered is dropped.
  var keepTyping = function (old, fresh) {
    var focused = document.activeElement;
    old.querySelectorAll("input, textarea, select").forEach(function (f) {
      if (!f.name || !f.form || f.type === "hidden" || f.type === "submit") { return; }
      var changed = f.tagName === "SELECT"
        ? Array.prototype.some.call(f.options, function (o) { return o.selected !== o.defaultSelected; })
        : (f.type === "checkbox" || f.type === "radio") ? f.checked !== f.defaultChecked : f.value !== f.defaultValue;
      var form = fresh.querySelector('form[action="' + f.form.getAttribute("action") + '"]');
      var twin = form && form.elements.namedItem(f.name);
      if (!twin || twin.length !== undefined && twin.tagName !== "SELECT") { return; }
      if (changed) {
        if (twin.tagName === "SELECT") {
          if (Array.prototype.some.call(twin.options, function (o) { return o.value === f.value && !o.disabled; })) { twin.value = f.value; }
        } else if (f.type === "checkbox" || f.type === "radio") {
          twin.checked = f.checked;
        } else {
          twin.value = f.value;
        }
        // A field typed in a closed-by-default part (an action's cancel
        // reason) stays in sight.
        var part = twin.closest("details");
        if (part) { part.open = true; }
      }
      if (f === focused) { setTimeout(function () { twin.focus(); }, 0); }
    });
  };
  if (live && window.EventSource) {
    var state = document.getElementById("live-state");
    var pending = null;
    var refresh = function () {
      pending = null;
      // A page drawn in answer to a form (a preview, mistakes) lives at the
      // form's address, which answers POST only: fetch the page's own.
      var own = document.querySelector("[data-live-url]");
      var url = own ? own.getAttribute("data-live-url") : window.location.href;
      fetch(url, { credentials: "same-origin", headers: { "X-Drone-Live": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live-region]").forEach(function (el) {
            var fresh = el.id && doc.getElementById(el.id);
            if (!fresh) { return; }
            var node = document.importNode(fresh, true);
            keepTyping(el, node);
            el.replaceWith(node);
          });
          // A part that is no longer offered (indicators on a closed
          // incident) goes; what it holds is kept while it stays.
          document.querySelectorAll("[data-live-presence]").forEach(function (el) {
            if (el.id && !doc.getElementById(el.id)) { el.remove(); }
          });
          document.dispatchEvent(new CustomEvent("drone:updated"));
        })
        .catch(function () {});
    };
    var es = new EventSource("/events?" + live);
    es.addEventListener("open", function () { if (state) { state.hidden = false; } });
    es.addEventListener("error", function () { if (state) { state.hidden = true; } });
    es.addEventListener("change", function () {
      // Several changes in a burst make one refresh.
      if (!pending) { pending = setTimeout(refresh, 250); }
    });
  }

  // The sub-context follows the category: only the chosen category's group
  // of options is offered (without script, every group shows, labelled).
  document.querySelectorAll("select[data-depends-on]").forEach(function (sel) {
    var parent = document.getElementById(sel.getAttribute("data-depends-on"));
    if (!parent) { return; }
    var apply = function () {
      var v = parent.value;
      sel.querySelectorAll("optgroup").forEach(function (g) {
        var on = g.getAttribute("data-parent") === v;
        g.hidden = !on;
        g.disabled = !on;
      });
      var opt = sel.options[sel.selectedIndex];
      if (opt && opt.parentElement.tagName === "OPTGROUP" && opt.parentElement.disabled) { sel.value = ""; }
    };
    parent.addEventListener("change", apply);
    apply();
  });

  // Print buttons.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
