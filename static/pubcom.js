// Progressive enhancement only: every page works the same without this script.
(function () {
  "use strict";
  // A print button where the page offers one (receipts).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // After "add another opinion" the page opens at the new block: put the focus in it.
  var target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.tagName === "FIELDSET") {
    var first = target.querySelector("select, input, textarea");
    if (first) { first.focus(); }
  }
  // A live count of the characters left under long text fields. The limit and the words come
  // from the page ("{n}" is replaced); characters are counted as the server counts them.
  document.querySelectorAll("textarea[data-max]").forEach(function (field) {
    var max = parseInt(field.getAttribute("data-max"), 10);
    var words = field.getAttribute("data-count-label") || "{n}";
    var over = field.getAttribute("data-over-label") || "{n}";
    var count = document.createElement("p");
    count.className = "char-count";
    count.id = field.id + "-count";
    count.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", count);
    var update = function () {
      var used = Array.from(field.value.replace(/\r\n/g, "\n")).length;
      var left = max - used;
      count.textContent = (left >= 0 ? words : over).replace("{n}", Math.abs(left).toLocaleString());
      count.classList.toggle("over", left < 0);
    };
    field.addEventListener("input", update);
    update();
  });
})();
