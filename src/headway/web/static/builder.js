// The visual journey builder: stages as cards, conditions from pickers, every key of the
// journey format, kept in step with the YAML text beside it.
//
// The builder edits the journey's canonical definition mapping (the server's journey_to_dict).
// A change in the builder is sent to /journeys/editor/yaml, which writes the mapping with the
// one canonical YAML writer into the text area; a change of the text is sent to
// /journeys/editor/model, whose mapping the builder then shows. Text that is not in the
// canonical form (comments, another layout) is only rewritten when the user asks. Numbers
// keep their exact JSON text (JSON.parse source access, JSON.rawJSON), so 12345678901234567890
// stays itself. Everything from the server is inserted as text, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("builder");
  var text = document.getElementById("definition");
  if (!root || !text) { return; }
  var form = document.getElementById("builder-form");
  var body = document.getElementById("builder-body");
  var status = document.getElementById("builder-status");
  var adoptBox = document.getElementById("builder-adopt-box");
  var adoptButton = document.getElementById("builder-adopt");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";

  var OPERATORS = [
    ["eq", "equals"], ["neq", "does not equal"], ["in", "is one of"], ["not_in", "is none of"],
    ["contains", "contains"], ["icontains", "contains (any case)"], ["starts_with", "starts with"],
    ["regex", "matches regex"], ["lt", "<"], ["lte", "≤"], ["gt", ">"], ["gte", "≥"],
    ["exists", "exists"]
  ];
  var KINDS = [["match", "Activity"], ["any", "Any of"], ["all", "All of"], ["not", "Not"]];
  var SPECIAL = ["contact", "source", "bot"];
  var NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

  var state = null;        // the definition mapping the builder shows
  var catalog = { types: [], paths: {} };
  var written = null;      // the text the builder last wrote into the text area
  var sendTimer = null, readTimer = null, sent = 0, read = 0, uid = 0;

  // A JSON number kept as its text.
  function Num(source) { this.source = source; }

  function parseJSON(raw) {
    return JSON.parse(raw, function (key, value, context) {
      return typeof value === "number" ? new Num(context && context.source ? context.source : String(value)) : value;
    });
  }

  function toJSON(value) {
    return JSON.stringify(value, function (key, v) {
      if (v instanceof Num) { return JSON.rawJSON ? JSON.rawJSON(v.source) : Number(v.source); }
      return v;
    });
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: toJSON(payload)
    }).then(function (response) {
      return response.text().then(function (raw) { return { ok: response.ok, data: parseJSON(raw) }; });
    });
  }

  // ---- small DOM helpers -------------------------------------------------------------------

  function el(tag, className, textContent) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (textContent !== undefined) { node.textContent = textContent; }
    return node;
  }

  // A titled section of the builder: <section class="b-group"> labelled by its <h3>.
  function group(key, title) {
    var box = el("section", "b-group");
    box.setAttribute("aria-labelledby", "b-" + key + "-heading");
    var heading = el("h3", null, title);
    heading.id = "b-" + key + "-heading";
    box.append(heading);
    return box;
  }

  function nextId(prefix) { uid += 1; return "b-" + prefix + "-" + uid; }

  // A labelled control: <div class="b-field"><label for=…>…</label>control</div>
  function field(labelText, control, hint) {
    var box = el("div", "b-field");
    if (!control.id) { control.id = nextId("f"); }
    var label = el("label", null, labelText);
    label.htmlFor = control.id;
    box.append(label, control);
    if (hint) {
      var small = el("span", "b-hint", hint);
      small.id = nextId("h");
      control.setAttribute("aria-describedby", small.id);
      box.append(small);
    }
    return box;
  }

  function input(value, onInput, attrs) {
    var node = el("input");
    node.type = "text";
    node.value = value === undefined || value === null ? "" : String(value);
    node.spellcheck = false;
    node.autocomplete = "off";
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    node.addEventListener("input", function () { onInput(node.value, node); changed(); });
    return node;
  }

  function textarea(value, onInput) {
    var node = el("textarea");
    node.rows = 2;
    node.value = value === undefined || value === null ? "" : value;
    node.addEventListener("input", function () { onInput(node.value); changed(); });
    return node;
  }

  function select(options, value, onChange) {
    var node = el("select");
    options.forEach(function (o) {
      var option = el("option", null, o[1]);
      option.value = o[0];
      node.append(option);
    });
    node.value = value;
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function button(label, onClick, className, ariaLabel) {
    var node = el("button", className || "secondary", label);
    node.type = "button";
    if (ariaLabel) { node.setAttribute("aria-label", ariaLabel); }
    node.addEventListener("click", onClick);
    return node;
  }

  function datalist(values) {
    var box = el("datalist");
    box.id = nextId("list");
    fillList(box, values);
    return box;
  }

  function fillList(box, values) {
    box.replaceChildren();
    values.forEach(function (v) {
      var option = el("option");
      option.value = v;
      box.append(option);
    });
  }

  // ---- structure: re-render after a change of shape, keeping the focus in its place -------

  function restructure(focusKey) {
    render();
    changed();
    var target = focusKey ? body.querySelector('[data-focus="' + focusKey + '"]') : null;
    if (target) {
      target.focus();
      if (target.tagName === "INPUT" && target.type === "text") { target.select(); }  // typing replaces a default
    }
  }

  function text0(value) { return value instanceof Num ? value.source : value; }

  // ---- conditions --------------------------------------------------------------------------

  function kindOf(c) {
    if ("any" in c) { return "any"; }
    if ("all" in c) { return "all"; }
    if ("not" in c) { return "not"; }
    return "match";
  }

  function replaceWith(c, next) {
    Object.keys(c).forEach(function (k) { delete c[k]; });
    Object.keys(next).forEach(function (k) { c[k] = next[k]; });
  }

  function changeKind(c, kind) {
    var old = kindOf(c);
    if (kind === old) { return; }
    var copy = clone(c);
    var items = old === "any" || old === "all" ? copy[old] : null;
    if (kind === "match") {
      var inner = items ? items[0] : old === "not" ? copy.not : copy;
      replaceWith(c, inner && kindOf(inner) === "match" ? inner : {});
    } else if (kind === "not") {
      replaceWith(c, { not: copy });
    } else {
      var next = {};
      next[kind] = items || [copy];
      replaceWith(c, next);
    }
  }

  function clone(v) {
    if (Array.isArray(v)) { return v.map(clone); }
    if (v && typeof v === "object" && !(v instanceof Num)) {
      var out = Object.create(null);  // any key, "__proto__" and "constructor" too
      Object.keys(v).forEach(function (k) { out[k] = clone(v[k]); });
      return out;
    }
    return v;
  }

  function typesOf(c) {
    if (c.type === undefined) { return []; }
    return Array.isArray(c.type) ? c.type.slice() : [c.type];
  }

  function setTypes(c, types) {
    var kept = types.filter(function (t) { return t !== ""; });
    if (!kept.length) { delete c.type; } else { c.type = kept.length === 1 ? kept[0] : kept; }
  }

  // The where key naming a catalogue path (as the server's property_field): a property called
  // contact, source or bot, or one under "properties", is written properties.<path>.
  function whereKey(path) {
    var special = SPECIAL.indexOf(path) >= 0 || path === "properties" || path.indexOf("properties.") === 0;
    return special ? "properties." + path : path;
  }

  function pathsFor(types) {
    var names = types.length ? types : catalog.types;
    var seen = {};
    var out = [];
    names.forEach(function (t) {
      (catalog.paths[t] || []).forEach(function (p) {
        var key = whereKey(p.path);
        if (!seen[key]) { seen[key] = true; out.push(key); }
      });
    });
    return out.concat(SPECIAL);
  }

  function valuesFor(types, path) {
    var names = types.length ? types : catalog.types;
    var out = [];
    names.forEach(function (t) {
      (catalog.paths[t] || []).forEach(function (p) {
        if (whereKey(p.path) === path) {
          p.values.forEach(function (v) {
            var shown = typeof v === "string" ? v : JSON.stringify(v);
            if (out.indexOf(shown) < 0) { out.push(shown); }
          });
        }
      });
    });
    return out;
  }

  // The where mapping as rows [field, op, value] (a bare value is eq) and back.
  function rowsOf(where) {
    var rows = [];
    Object.keys(where || {}).forEach(function (f) {
      var spec = where[f];
      if (spec !== null && typeof spec === "object" && !(spec instanceof Num) && !Array.isArray(spec)) {
        Object.keys(spec).forEach(function (op) { rows.push([f, op, spec[op]]); });
      } else {
        rows.push([f, "eq", spec]);
      }
    });
    return rows;
  }

  function whereOf(rows) {
    var grouped = Object.create(null);  // property names are data: no inherited keys
    var order = [];
    rows.forEach(function (r) {
      if (!(r[0] in grouped)) { grouped[r[0]] = Object.create(null); order.push(r[0]); }
      if (r[1] in grouped[r[0]]) {  // one operator per property: the later row counts
        setStatus("Property " + JSON.stringify(r[0]) + " has the operator " + r[1] + " twice; only the last one counts.", "invalid");
      }
      grouped[r[0]][r[1]] = r[2];
    });
    var out = Object.create(null);
    order.forEach(function (f) {
      var ops = Object.keys(grouped[f]);
      out[f] = ops.length === 1 && ops[0] === "eq" ? grouped[f].eq : grouped[f];
    });
    return out;
  }

  function kindOfValue(v) {
    if (v instanceof Num) { return "number"; }
    if (v === true) { return "true"; }
    if (v === false) { return "false"; }
    return "text";
  }

  function defaultValue(op) {
    if (op === "exists") { return true; }
    if (op === "in" || op === "not_in") { return [""]; }
    return "";
  }

  // One value: a kind (text, number, true, false) and its text; calls set(value) on change.
  function valueEditor(value, set, labelText, listValues) {
    var box = el("div", "b-value");
    var kind = kindOfValue(value);
    var entry = input(kind === "number" ? value.source : kind === "text" ? value : "", function (raw, node) {
      var k = kindSelect.value;
      if (k === "number") {
        var ok = NUMBER.test(raw.trim());
        node.setAttribute("aria-invalid", ok ? "false" : "true");
        if (ok) { set(new Num(raw.trim())); }
      } else {
        set(raw);
      }
    });
    entry.classList.add("b-value-text");
    var list = datalist([]);
    entry.setAttribute("list", list.id);
    entry.addEventListener("focus", function () { fillList(list, listValues()); });
    box.append(list);
    var kindSelect = select([["text", "text"], ["number", "number"], ["true", "true"], ["false", "false"]], kind, function (k) {
      entryBox.hidden = k === "true" || k === "false";
      entry.removeAttribute("aria-invalid");
      if (k === "true") { set(true); } else if (k === "false") { set(false); } else if (k === "number") {
        var raw = entry.value.trim();
        set(NUMBER.test(raw) ? new Num(raw) : new Num("0"));
        if (!NUMBER.test(raw)) { entry.value = "0"; }
      } else { set(entry.value); }
      changed();
    });
    var entryBox = field(labelText, entry);
    entryBox.hidden = kind === "true" || kind === "false";
    box.append(field(labelText + " kind", kindSelect), entryBox);
    return box;
  }

  function predicateRow(rows, i, getTypes, onRows, focusPrefix) {
    var row = rows[i];
    var box = el("div", "b-predicate");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Property condition " + (i + 1));
    var paths = datalist([]);
    var fieldInput = input(row[0], function (v) { row[0] = v; onRows(); }, { list: paths.id, "data-focus": focusPrefix + "-field-" + i });
    fieldInput.addEventListener("focus", function () { fillList(paths, pathsFor(getTypes())); });
    var opSelect = select(OPERATORS, row[1], function (op) {
      var multi = function (o) { return o === "in" || o === "not_in"; };
      if (op === "exists" || row[1] === "exists") {
        row[2] = defaultValue(op);
      } else if (multi(op) && !multi(row[1])) {
        row[2] = [row[2]];
      } else if (!multi(op) && multi(row[1])) {
        row[2] = row[2][0];
      }
      row[1] = op;
      onRows();
      restructure(focusPrefix + "-op-" + i);
    });
    opSelect.setAttribute("data-focus", focusPrefix + "-op-" + i);
    box.append(paths, field("Property", fieldInput, "a property path, or contact, source, bot"), field("Operator", opSelect));
    var listValues = function () { return valuesFor(getTypes(), row[0]); };
    if (row[1] === "exists") {
      box.append(field("Value", select([["true", "is present"], ["false", "is absent"]], String(row[2]), function (v) {
        row[2] = v === "true"; onRows(); changed();
      })));
    } else if (Array.isArray(row[2])) {
      var values = el("div", "b-values");
      row[2].forEach(function (v, j) {
        var item = el("div", "b-value-item");
        item.append(valueEditor(v, function (nv) { row[2][j] = nv; onRows(); }, "Value " + (j + 1), listValues));
        if (row[2].length > 1) {
          item.append(button("Remove value", function () { row[2].splice(j, 1); onRows(); restructure(focusPrefix + "-addvalue-" + i); }, "link", "Remove value " + (j + 1)));
        }
        values.append(item);
      });
      var add = button("Add value", function () { row[2].push(""); onRows(); restructure(focusPrefix + "-addvalue-" + i); }, "link");
      add.setAttribute("data-focus", focusPrefix + "-addvalue-" + i);
      values.append(add);
      box.append(values);
    } else {
      box.append(valueEditor(row[2], function (nv) { row[2] = nv; onRows(); }, "Value", listValues));
    }
    var remove = button("Remove", function () {
      rows.splice(i, 1);
      onRows();
      restructure(focusPrefix + "-addwhere");
    }, "link", "Remove property condition " + (i + 1));
    box.append(remove);
    return box;
  }

  // A condition editor for mapping c (edited in place); path names it for focus keys.
  function conditionEditor(c, path, legendText) {
    var box = el("fieldset", "b-condition");
    box.append(el("legend", null, legendText));
    var kind = kindOf(c);
    var kindSelect = select(KINDS, kind, function (k) { changeKind(c, k); restructure(path + "-kind"); });
    kindSelect.setAttribute("data-focus", path + "-kind");
    box.append(field("Condition", kindSelect));
    if (kind === "match") {
      var types = typesOf(c);
      var typeBox = el("div", "b-types");
      var shown = types.length ? types : [""];
      shown.forEach(function (t, i) {
        var typeInput = input(t, function () {
          var values = Array.prototype.map.call(typeBox.querySelectorAll("input.b-type"), function (n) { return n.value; });
          setTypes(c, values);
        }, { list: "b-types", "data-focus": path + "-type-" + i });
        typeInput.classList.add("b-type");
        var wrap = field(i === 0 ? "Activity type" : "or type", typeInput, i === 0 ? "empty: any type" : undefined);
        if (shown.length > 1) {
          wrap.append(button("Remove", function () { types.splice(i, 1); setTypes(c, types); restructure(path + "-addtype"); }, "link", "Remove type " + (i + 1)));
        }
        typeBox.append(wrap);
      });
      var addType = button("Add another type", function () {
        var current = typesOf(c);
        if (!current.length) { return; }
        current.push("");
        c.type = current;  // the empty one is dropped when written, until it is filled in
        restructure(path + "-type-" + (current.length - 1));
      }, "link");
      addType.setAttribute("data-focus", path + "-addtype");
      typeBox.append(addType);
      box.append(typeBox);
      var rows = rowsOf(c.where);
      var onRows = function () {
        var where = whereOf(rows);
        if (Object.keys(where).length) { c.where = where; } else { delete c.where; }
      };
      var list = el("div", "b-where");
      var getTypes = function () { return typesOf(c); };
      rows.forEach(function (r, i) { list.append(predicateRow(rows, i, getTypes, onRows, path)); });
      box.append(list);
      var addWhere = button("Add property condition", function () {
        rows.push(["", "eq", ""]);
        onRows();
        restructure(path + "-field-" + (rows.length - 1));
      }, "link");
      addWhere.setAttribute("data-focus", path + "-addwhere");
      box.append(addWhere);
    } else if (kind === "not") {
      box.append(conditionEditor(c.not, path + "n", "Does not hold"));
    } else {
      var items = c[kind];
      var ol = el("ol", "b-items");
      items.forEach(function (item, i) {
        var li = el("li");
        li.append(conditionEditor(item, path + "i" + i, (kind === "any" ? "Alternative " : "Part ") + (i + 1)));
        if (items.length > 1) {
          li.append(button("Remove", function () { items.splice(i, 1); restructure(path + "-additem"); }, "link", "Remove " + (kind === "any" ? "alternative " : "part ") + (i + 1)));
        }
        ol.append(li);
      });
      box.append(ol);
      var addItem = button(kind === "any" ? "Add alternative" : "Add part", function () {
        items.push({});
        restructure(path + "i" + (items.length - 1) + "-kind");
      }, "link");
      addItem.setAttribute("data-focus", path + "-additem");
      box.append(addItem);
    }
    return box;
  }

  // An optional condition (filter, exit_when): a checkbox and, when on, its editor.
  function optionalCondition(key, labelText, legendText) {
    var box = el("div", "b-optional");
    var check = el("input");
    check.type = "checkbox";
    check.id = nextId("opt");
    check.checked = key in state;
    check.setAttribute("data-focus", "opt-" + key);
    check.addEventListener("change", function () {
      if (check.checked) { state[key] = {}; } else { delete state[key]; }
      restructure("opt-" + key);
    });
    var label = el("label", "b-check", labelText);
    label.htmlFor = check.id;
    label.prepend(check);
    box.append(label);
    if (key in state) { box.append(conditionEditor(state[key], key, legendText)); }
    return box;
  }

  // ---- the journey -------------------------------------------------------------------------

  function setOptional(obj, key, value) {
    if (value === "") { delete obj[key]; } else { obj[key] = value; }
  }

  function renameStage(oldName, newName) {
    (state.exclusions || []).forEach(function (e) {
      if (!Array.isArray(e.between)) { return; }
      e.between = e.between.map(function (n) { return n === oldName ? newName : n; });
    });
    Array.prototype.forEach.call(body.querySelectorAll("select.b-between option"), function (o) {
      if (o.value === oldName) { o.value = newName; o.textContent = newName; }
    });
  }

  function stageCard(stage, i) {
    var stages = state.stages;
    var card = el("li", "b-card b-stage");
    card.setAttribute("aria-label", "Stage " + (i + 1));
    var head = el("div", "b-card-head");
    head.append(el("h4", null, "Stage " + (i + 1)));
    var tools = el("div", "b-tools");
    var label = function (what) { return what + " stage " + (i + 1); };
    var up = button("↑", function () { stages.splice(i - 1, 0, stages.splice(i, 1)[0]); restructure("stage-up-" + (i - 1)); }, "link", label("Move up"));
    up.disabled = i === 0;
    up.setAttribute("data-focus", "stage-up-" + i);
    var down = button("↓", function () { stages.splice(i + 1, 0, stages.splice(i, 1)[0]); restructure("stage-down-" + (i + 1)); }, "link", label("Move down"));
    down.disabled = i === stages.length - 1;
    down.setAttribute("data-focus", "stage-down-" + i);
    var remove = button("Remove", function () { stages.splice(i, 1); restructure("add-stage"); }, "link", label("Remove"));
    remove.disabled = stages.length === 1;
    tools.append(up, down, remove);
    head.append(tools);
    card.append(head);
    var nameInput = input(stage.name, function (v) { renameStage(stage.name, v); stage.name = v; }, { "data-focus": "stage-name-" + i });
    card.append(field("Stage name", nameInput));
    card.append(conditionEditor(stage.when, "s" + i, "Reached when an activity matches"));
    var row = el("div", "b-row");
    row.append(field("First time", select([["false", "any matching activity"], ["event", "first of its type"], ["matching", "first matching"]], stage.first_time || "false", function (v) {
      if (v === "false") { delete stage.first_time; } else { stage.first_time = v; }
      changed();
    })));
    var kpi = input(stage.kpi === undefined ? "" : text0(stage.kpi), function (v) {
      var t = v.trim();
      if (t === "") { delete stage.kpi; } else { stage.kpi = NUMBER.test(t) ? new Num(t) : t; }
    }, { inputmode: "numeric" });
    row.append(field("Target contacts (KPI)", kpi, "optional"));
    card.append(row);
    card.append(field("Note", textarea(stage.description, function (v) { setOptional(stage, "description", v); }), "optional"));
    return card;
  }

  function exclusionCard(exclusion, i) {
    var card = el("li", "b-card");
    card.setAttribute("aria-label", "Exclusion " + (i + 1));
    var head = el("div", "b-card-head");
    head.append(el("h4", null, "Exclusion " + (i + 1)));
    head.append(button("Remove", function () {
      state.exclusions.splice(i, 1);
      if (!state.exclusions.length) { delete state.exclusions; }
      restructure("add-exclusion");
    }, "link", "Remove exclusion " + (i + 1)));
    card.append(head);
    card.append(conditionEditor(exclusion.when, "x" + i, "Void when an activity matches"));
    var names = state.stages.map(function (s) { return s.name; });
    var between = Array.isArray(exclusion.between) ? exclusion.between : ["", ""];
    var row = el("div", "b-row");
    ["From stage", "To stage"].forEach(function (labelText, end) {
      var options = names.map(function (n) { return [n, n]; });
      if (names.indexOf(between[end]) < 0) { options.unshift([between[end], between[end] + " (no such stage)"]); }
      var pick = select(options, between[end], function (v) {
        exclusion.between[end] = v;
        changed();
      });
      pick.className = "b-between";
      row.append(field(labelText, pick));
    });
    card.append(row);
    return card;
  }

  function render() {
    body.replaceChildren();
    var types = datalist(catalog.types);
    types.id = "b-types";
    body.append(types);

    var journey = el("fieldset", "b-group");
    journey.append(el("legend", null, "Journey"));
    journey.append(field("Name", input(state.name, function (v) { state.name = v; }, { "data-focus": "name" })));
    journey.append(field("Description", textarea(state.description, function (v) { setOptional(state, "description", v); }), "optional"));
    var row = el("div", "b-row");
    row.append(field("Order", select([["ordered", "ordered"], ["strict", "strict"], ["unordered", "unordered"]], state.order || "ordered", function (v) {
      state.order = v;
      changed();
    })));
    row.append(field("Window", input(state.window, function (v) { state.window = v; }), "e.g. 30d, 12h, 1w2d"));
    row.append(field("Stalled after", input(state.stall_after, function (v) { setOptional(state, "stall_after", v.trim()); }), "empty: p90 of the time to the next stage"));
    journey.append(row);
    var dates = el("div", "b-row");
    var range = state.date_range || {};
    ["from", "to"].forEach(function (end) {
      dates.append(field(end === "from" ? "Activities from" : "Activities to", input(range[end], function (v) {
        var r = state.date_range || {};
        setOptional(r, end, v.trim());
        if (Object.keys(r).length) { state.date_range = r; } else { delete state.date_range; }
      }, { placeholder: "YYYY-MM-DD" }), "optional, UTC, inclusive"));
    });
    journey.append(dates);
    journey.append(optionalCondition("filter", " Only activities that match a filter", "Filter: every activity must match"));
    body.append(journey);

    var stagesBox = group("stages", "Stages");
    var ol = el("ol", "b-cards");
    ol.id = "b-stages";
    state.stages.forEach(function (s, i) { ol.append(stageCard(s, i)); });
    stagesBox.append(ol);
    var addStage = button("Add stage", function () {
      var n = state.stages.length + 1;
      var taken = state.stages.map(function (s) { return s.name; });
      var name = "Stage " + n;
      while (taken.indexOf(name) >= 0) { n += 1; name = "Stage " + n; }
      state.stages.push({ name: name, when: {} });
      restructure("stage-name-" + (state.stages.length - 1));
    });
    addStage.id = "b-add-stage";
    addStage.setAttribute("data-focus", "add-stage");
    stagesBox.append(addStage);
    body.append(stagesBox);

    var exBox = group("exclusions", "Exclusions");
    exBox.append(el("p", "b-hint", "An attempt is void when such an activity lies between two stages."));
    var exList = el("ol", "b-cards");
    (state.exclusions || []).forEach(function (e, i) { exList.append(exclusionCard(e, i)); });
    exBox.append(exList);
    var addExclusion = button("Add exclusion", function () {
      var names = state.stages.map(function (s) { return s.name; });
      state.exclusions = state.exclusions || [];
      state.exclusions.push({ when: {}, between: [names[0], names[names.length - 1]] });
      restructure("x" + (state.exclusions.length - 1) + "-kind");
    });
    addExclusion.setAttribute("data-focus", "add-exclusion");
    exBox.append(addExclusion);
    body.append(exBox);

    var exit = group("exit", "Exit");
    exit.append(optionalCondition("exit_when", " Contacts drop off when an activity matches", "Exit when"));
    body.append(exit);
  }

  // ---- keeping the two views in step -------------------------------------------------------

  function changed() {
    clearTimeout(sendTimer);
    sendTimer = setTimeout(send, 250);
  }

  function send() {
    var mine = ++sent;
    post("/journeys/editor/yaml", { definition: state }).then(function (answer) {
      if (mine !== sent || !answer.ok) { return; }
      var d = answer.data;
      if (d.text === null) {
        setStatus("The builder's journey is beyond the limits: " + d.problems[0].message, "invalid");
        return;
      }
      written = d.text;
      if (text.value !== d.text) {
        text.value = d.text;
        text.dispatchEvent(new Event("input"));  // the editor validates and previews it
      }
      setStatus(d.valid ? "The YAML follows the builder." : "The YAML follows the builder; see the problems under Validation.", d.valid ? "" : "invalid");
    }).catch(function () { setStatus("Could not reach the server to write the YAML.", "invalid"); });
  }

  function setStatus(message, kind) {
    status.textContent = message;
    status.className = kind || "";
  }

  function readText() {
    if (text.value === written) { return; }  // the builder wrote it
    var mine = ++read;
    post("/journeys/editor/model", { text: text.value }).then(function (answer) {
      if (mine !== read || !answer.ok) { return; }
      var d = answer.data;
      if (!d.valid) {
        form.disabled = true;
        adoptBox.hidden = true;
        setStatus("The YAML has problems (see Validation): the builder follows once they are fixed.", "invalid");
        return;
      }
      state = d.definition;
      render();
      if (d.is_canonical) {
        written = text.value;
        form.disabled = false;
        adoptBox.hidden = true;
        setStatus("The builder follows the YAML.", "");
      } else {
        form.disabled = true;
        adoptBox.hidden = false;
        adoptBox.setAttribute("data-canonical", d.canonical);
        setStatus("The builder shows this journey; to edit it here, the YAML is first rewritten in its canonical form.", "");
      }
    }).catch(function () { setStatus("Could not reach the server to read the YAML.", "invalid"); });
  }

  adoptButton.addEventListener("click", function () {
    var canonical = adoptBox.getAttribute("data-canonical");
    written = canonical;
    text.value = canonical;
    text.dispatchEvent(new Event("input"));
    form.disabled = false;
    adoptBox.hidden = true;
    setStatus("The YAML was rewritten in canonical form; the builder and the YAML follow each other.", "");
    var first = body.querySelector('[data-focus="name"]');
    if (first) { first.focus(); }
  });

  text.addEventListener("input", function () {
    if (text.value === written) { return; }
    clearTimeout(sendTimer);  // the text wins over a builder change not yet written
    sent += 1;
    clearTimeout(readTimer);
    readTimer = setTimeout(readText, 400);
  });

  var catalogAnswer = window.headwayCatalog ||
    fetch(root.getAttribute("data-catalog"), { credentials: "same-origin" }).then(function (r) { return r.json(); });
  catalogAnswer.then(function (data) {
    catalog = data;
    var list = document.getElementById("b-types");
    if (list) { fillList(list, data.types); }
  }).catch(function () { /* autocomplete is a convenience: the builder works without */ });

  readText();
})();
