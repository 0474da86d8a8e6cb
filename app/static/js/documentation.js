/* The diagrams of the process documentation pages (templates/processes/),
   drawn with bpmn-js (the page loads the NavigatedViewer first; the CSP allows
   no inline script, so everything comes as data- attributes):

     data-doc-diagram   same-origin address of the version's BPMN XML
     data-doc-steps     "link": a click on a step with an entry (#step-<id>)
                        opens it, and the entry shown is marked on the diagram
     data-added, data-changed, data-removed
                        BPMN ids (space-separated) -> class doc-mark-<kind>

   Links with a data-element-id (the diff page's list of changes) select and
   centre that element in every diagram that draws it. Each box's
   data-diagram-state becomes "drawn" or "failed", for tests and people alike. */
(function () {
  "use strict";

  var KINDS = ["added", "changed", "removed"];
  var viewers = [];

  function words(box, name) {
    return (box.getAttribute(name) || "").split(/\s+/).filter(Boolean);
  }

  // Centres an element that is not wholly in view (one that is stays where people see it).
  function centre(canvas, element) {
    var box = canvas.viewbox();
    var bounds = element.waypoints ? null : element;
    if (bounds && bounds.x >= box.x && bounds.y >= box.y && bounds.x + bounds.width <= box.x + box.width &&
        bounds.y + bounds.height <= box.y + box.height) {
      return;
    }
    var x = element.x + (element.width || 0) / 2;
    var y = element.y + (element.height || 0) / 2;
    if (element.waypoints) {   // a sequence flow: the middle of its first and last points
      var first = element.waypoints[0], last = element.waypoints[element.waypoints.length - 1];
      x = (first.x + last.x) / 2;
      y = (first.y + last.y) / 2;
    }
    canvas.viewbox({ x: x - box.width / 2, y: y - box.height / 2, width: box.width, height: box.height });
  }

  // One element stands out at a time in each viewer.
  function single(viewer, id, marker) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    if (viewer.marked && registry.get(viewer.marked)) {
      canvas.removeMarker(viewer.marked, marker);
    }
    viewer.marked = null;
    var element = id && registry.get(id);
    if (element) {
      canvas.addMarker(id, marker);
      viewer.marked = id;
    }
    return element;
  }

  // Fits the drawing, in a shorter box when the process is wide.
  function fit(viewer, box) {
    var canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    var inner = canvas.viewbox().inner;
    if (inner.width && inner.height) {
      var height = Math.max(180, Math.ceil(box.clientWidth * inner.height / inner.width) + 48);
      if (height < box.clientHeight) {
        box.style.height = height + "px";
        canvas.resized();
        canvas.zoom("fit-viewport", "auto");
      }
    }
    canvas.zoom(canvas.zoom() * 0.9);
  }

  function markChanges(viewer, box) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    KINDS.forEach(function (kind) {
      words(box, "data-" + kind).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, "doc-mark-" + kind);
        }
      });
    });
  }

  // The documentation page: the diagram and the list of steps point at each other.
  function stepEntry(id) {
    return id ? document.getElementById("step-" + id) : null;
  }

  function showEntryOf(viewer) {
    var id = window.location.hash.indexOf("#step-") === 0 ? decodeURIComponent(window.location.hash.slice(6)) : "";
    document.querySelectorAll(".doc-step-selected").forEach(function (entry) {
      entry.classList.remove("doc-step-selected");
    });
    var entry = stepEntry(id);
    if (entry) {
      entry.classList.add("doc-step-selected");
    }
    single(viewer, entry ? id : null, "doc-selected");
  }

  function linkSteps(viewer) {
    var canvas = viewer.get("canvas");
    viewer.get("elementRegistry").forEach(function (element) {
      if (stepEntry(element.id)) {
        canvas.addMarker(element.id, "doc-linked");
      }
    });
    viewer.on("element.click", function (event) {
      var entry = stepEntry(event.element.id);
      if (!entry) {
        return;
      }
      if (window.location.hash === "#step-" + event.element.id) {
        entry.scrollIntoView({ block: "start" });
      } else {
        window.location.hash = "step-" + event.element.id;   // scrolls there; hashchange marks it
      }
      entry.focus({ preventScroll: true });
    });
    window.addEventListener("hashchange", function () { showEntryOf(viewer); });
    showEntryOf(viewer);
  }

  function draw(box) {
    box.classList.remove("doc-diagram-waiting");
    box.replaceChildren();
    box.setAttribute("data-diagram-state", "loading");
    var viewer = new window.BpmnJS({ container: box });
    return fetch(box.getAttribute("data-doc-diagram"), { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("the diagram could not be loaded (" + response.status + ")");
        }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        fit(viewer, box);
        markChanges(viewer, box);
        if (box.getAttribute("data-doc-steps") === "link") {
          linkSteps(viewer);
        }
        viewers.push(viewer);
        box.setAttribute("data-diagram-state", "drawn");
      })
      .catch(function (error) {
        viewer.destroy();
        box.setAttribute("data-diagram-state", "failed");
        var note = document.createElement("p");
        note.className = "diagram-note";
        note.textContent = "The diagram could not be shown.";
        box.replaceChildren(note);
        if (window.console) {
          window.console.warn("documentation diagram:", error);
        }
      });
  }

  // The diff page: a listed change picks its element out on the diagrams.
  function focusChange(link) {
    var id = link.getAttribute("data-element-id");
    document.querySelectorAll(".doc-change-focused").forEach(function (item) {
      item.classList.remove("doc-change-focused");
    });
    link.closest(".doc-change").classList.add("doc-change-focused");
    viewers.forEach(function (viewer) {
      var element = single(viewer, id, "doc-focus");
      if (element) {
        centre(viewer.get("canvas"), element);
      }
    });
  }

  function start() {
    if (typeof window.BpmnJS !== "function") {
      return;
    }
    document.querySelectorAll("[data-doc-diagram]").forEach(draw);
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-element-id]");
      if (link) {
        focusChange(link);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
