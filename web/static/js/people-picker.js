/* 先锋: the person picker of 转办, 委派, 加签 and 抄送. Without JavaScript a `.picker[data-picker]`
   fieldset lists the people one may choose as radio buttons (one person) or check boxes (several).
   This script puts a search box in front of that list: typing a name asks data-src (the same search
   as GET /api/v1/people, answered with each person's branch and roles) and shows the matches; the
   people chosen stay as checked inputs named `person`, so the form posts exactly what it did without
   the script. Texts come from the fieldset's data-* attributes, in the page's language. */
(function () {
  "use strict";

  var DELAY = 200;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function Picker(box) {
    this.box = box;
    this.many = box.getAttribute("data-many") === "1";
    this.options = box.querySelector(".picker-options");
    this.known = {};
    var self = this;
    Array.prototype.forEach.call(box.querySelectorAll("input[name=person]"), function (input) {
      var label = input.closest("label");
      self.known[input.value] = { input: input, text: label ? label.textContent.replace(/\s+/g, " ").trim() : input.value };
    });
    this.build();
  }

  Picker.prototype.build = function () {
    var self = this;
    this.options.hidden = true;
    // A hidden input cannot show the browser's "required" bubble; the server says what is missing.
    Array.prototype.forEach.call(this.options.querySelectorAll("input[required]"), function (input) {
      input.required = false;
    });
    this.chosen = el("ul", "picker-chosen plain");
    this.chosen.setAttribute("aria-label", this.box.getAttribute("data-chosen") || "");
    this.search = el("input", "picker-search");
    this.search.type = "search";
    this.search.autocomplete = "off";
    this.search.placeholder = this.box.getAttribute("data-placeholder") || "";
    this.search.setAttribute("aria-label", this.search.placeholder);
    this.results = el("ul", "picker-results plain");
    this.results.setAttribute("role", "listbox");
    var legend = this.box.querySelector("legend");
    var after = legend ? legend.nextSibling : this.box.firstChild;
    this.box.insertBefore(this.chosen, after);
    this.box.insertBefore(this.search, after);
    this.box.insertBefore(this.results, after);
    var timer = null;
    this.search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.find(self.search.value); }, DELAY);
    });
    this.search.addEventListener("focus", function () { if (!self.results.childNodes.length) { self.find(""); } });
    this.showChosen();
  };

  Picker.prototype.find = function (words) {
    var self = this;
    var url = this.box.getAttribute("data-src") + "&q=" + encodeURIComponent(words.trim());
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (people) { self.list(people); })
      .catch(function () { self.list([]); });
  };

  Picker.prototype.list = function (people) {
    var self = this;
    this.results.textContent = "";
    if (!people.length) {
      this.results.appendChild(el("li", "muted", this.box.getAttribute("data-empty") || ""));
      return;
    }
    people.forEach(function (person) {
      var known = self.known[String(person.id)];
      if (known && known.input.checked) { return; }
      var item = el("li");
      var button = el("button", "picker-person");
      button.type = "button";
      button.setAttribute("role", "option");
      button.appendChild(el("strong", "", person.name));
      button.appendChild(el("span", "muted", " " + [person.branch, person.roles].filter(Boolean).join(" · ")));
      button.addEventListener("click", function () { self.choose(person); });
      item.appendChild(button);
      self.results.appendChild(item);
    });
  };

  Picker.prototype.input = function (person) {
    var id = String(person.id);
    if (!this.known[id]) {
      var input = document.createElement("input");
      input.type = this.many ? "checkbox" : "radio";
      input.name = "person";
      input.value = id;
      this.options.appendChild(input);
      this.known[id] = { input: input, text: person.name + " " + [person.branch, person.roles].filter(Boolean).join(" · ") };
    }
    return this.known[id].input;
  };

  Picker.prototype.choose = function (person) {
    var self = this;
    if (!this.many) {
      Object.keys(this.known).forEach(function (id) { self.known[id].input.checked = false; });
    }
    this.input(person).checked = true;
    this.search.value = "";
    this.results.textContent = "";
    this.showChosen();
  };

  Picker.prototype.showChosen = function () {
    var self = this;
    this.chosen.textContent = "";
    Object.keys(this.known).forEach(function (id) {
      var entry = self.known[id];
      if (!entry.input.checked) { return; }
      var chip = el("li", "picker-chip", entry.text + " ");
      var remove = el("button", "link", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", (self.box.getAttribute("data-remove") || "") + " " + entry.text);
      remove.addEventListener("click", function () { entry.input.checked = false; self.showChosen(); });
      chip.appendChild(remove);
      self.chosen.appendChild(chip);
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), function (box) { new Picker(box); });
  });
})();
