/* Lily console: progressive enhancement only (every page works without it). No inline script: CSP script-src 'self'. */
(function () {
  "use strict";

  /* X's weighted length, as lily.social.constraints.x_weighted_length counts it (twitter-text v3): NFC; code points
     in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F, U+2032-U+2037 weigh 1, others 2; any URL 23; an emoji
     sequence 2. tests/console checks this function against the Python one on the same strings. */
  var URL_RE = /(?:https?:\/\/[^\s<>"]+)|(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|io|ai|co|dev|app|me|ly|gl|uk|de|fr|es|it|nl|info|biz|tv|us|ca|au|in|jp|eu|xyz|tech|blog|shop|news)(?:\/[^\s<>"]*)?(?![\w])/gi;
  var LIGHT = [[0x0000, 0x10FF], [0x2000, 0x200D], [0x2010, 0x201F], [0x2032, 0x2037]];
  function weight(cp) { for (var i = 0; i < LIGHT.length; i++) { if (cp >= LIGHT[i][0] && cp <= LIGHT[i][1]) return 1; } return 2; }
  function isEmoji(cp) { return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x2B00 && cp <= 0x2BFF) || cp === 0xA9 || cp === 0xAE; }
  function isModifier(cp) { return cp === 0xFE0F || cp === 0xFE0E || cp === 0x20E3 || (cp >= 0x1F3FB && cp <= 0x1F3FF) || (cp >= 0xE0020 && cp <= 0xE007F); }
  function isFlag(cp) { return cp >= 0x1F1E6 && cp <= 0x1F1FF; }
  function countPlain(text) {
    var cps = Array.from(text, function (c) { return c.codePointAt(0); });
    var total = 0, i = 0;
    while (i < cps.length) {
      var cp = cps[i];
      if (isEmoji(cp) || isFlag(cp)) {
        i += 1;
        if (isFlag(cp) && i < cps.length && isFlag(cps[i])) i += 1;
        while (i < cps.length && (isModifier(cps[i]) || cps[i] === 0x200D)) {
          if (cps[i] === 0x200D && i + 1 < cps.length) i += 2; else i += 1;
        }
        total += 2;
        continue;
      }
      total += weight(cp);
      i += 1;
    }
    return total;
  }
  function xLength(text) {
    text = text.normalize("NFC");
    var total = 0, last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      total += countPlain(text.slice(last, m.index)) + 23;
      last = m.index + m[0].length;
    }
    return total + countPlain(text.slice(last));
  }
  window.lilyXLength = xLength;

  function bindCounter(out) {
    var field = document.getElementById(out.getAttribute("data-x-count-for"));
    if (!field || field.dataset.counted) return;
    field.dataset.counted = "1";
    var update = function () {
      var n = xLength(field.value);
      out.textContent = "X counts " + n + " of 280 characters." + (n > 280 ? " Too long for X by " + (n - 280) + "." : "");
      out.classList.toggle("over", n > 280);
    };
    field.addEventListener("input", update);
    update();
  }

  function init(root) {
    root.querySelectorAll("[data-x-count-for]").forEach(bindCounter);
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-use-draft]");
    if (!btn) return;
    var src = document.getElementById(btn.getAttribute("data-use-draft"));
    var text = document.getElementById("text");
    if (src && text) {
      text.value = src.textContent;
      text.dispatchEvent(new Event("input"));
      text.focus();
    }
  });

  /* Focus after an htmx swap: the swapped region's [data-focus] element (a user's request finished), so screen
     reader and keyboard users land on the result; polling swaps carry no [data-focus] until they finish. */
  document.addEventListener("htmx:afterSettle", function (ev) {
    init(ev.target);
    var target = ev.target.querySelector ? ev.target.querySelector("[data-focus]") : null;
    if (target && !target.dataset.focused) { target.dataset.focused = "1"; target.focus(); }
  });

  /* Calendar drag and drop; the keyboard alternative is each post's "Move to" form, which this fills and sends. */
  var dragged = null;
  document.addEventListener("dragstart", function (ev) {
    var item = ev.target.closest && ev.target.closest(".cal-post[draggable=true]");
    if (item) { dragged = item; ev.dataTransfer.setData("text/plain", item.dataset.post); }
  });
  document.addEventListener("dragover", function (ev) {
    var day = ev.target.closest && ev.target.closest("[data-drop-day]");
    if (day && dragged) { ev.preventDefault(); day.classList.add("drop-target"); }
  });
  document.addEventListener("dragleave", function (ev) {
    var day = ev.target.closest && ev.target.closest("[data-drop-day]");
    if (day) day.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (ev) {
    var day = ev.target.closest && ev.target.closest("[data-drop-day]");
    if (!day || !dragged) return;
    ev.preventDefault();
    var form = dragged.querySelector("form.reschedule");
    if (form) {
      form.querySelector("input[name=when]").value = day.dataset.dropDay + "T" + (dragged.dataset.time || "09:00");
      form.requestSubmit();
    }
    dragged = null;
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
