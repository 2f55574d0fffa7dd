// drone console: live updates and small comforts. Every page works without
// this script; with it, a page's live regions follow changes made anywhere
// (Slack, Discord, the command line, another browser) within a second or two.
(function () {
  "use strict";

  // Live regions: the server sends "change" events on /events; the page
  // then fetches itself again and swaps each [data-live-region] element by
  // id. Forms outside the regions keep what the user is typing.
  var live = document.body.getAttribute("data-live");
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
            if (fresh) { el.replaceWith(document.importNode(fresh, true)); }
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
