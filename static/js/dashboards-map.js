// The Party-and-people map: the page's points (GeoJSON in #map-points-data) as clustered markers.
// Tiles only when the page names a tile server (data-tile-url); otherwise a plain background, and the
// view still fits the markers. No inline scripts, no external service assumed.
(function () {
  "use strict";

  var KIND_ICONS = {
    station: "house-heart",
    organisation: "building",
    compound: "houses",
    activity: "calendar-event"
  };

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function popupHtml(props, openLabel) {
    var html = '<div class="map-popup"><div class="map-popup-kind">' + escapeHtml(props.kind_label) + "</div>" +
      '<div class="map-popup-name">' + escapeHtml(props.name) + "</div>";
    if (props.detail) html += '<div class="map-popup-detail">' + escapeHtml(props.detail) + "</div>";
    if (props.area) html += '<div class="map-popup-area">' + escapeHtml(props.area) + "</div>";
    if (props.url) {
      html += '<a class="btn btn-sm btn-primary mt-2" href="' + escapeHtml(props.url) + '">' + escapeHtml(openLabel) + "</a>";
    }
    return html + "</div>";
  }

  function markerIcon(kind) {
    var icon = KIND_ICONS[kind] || "geo-alt";
    return L.divIcon({
      className: "map-marker map-kind-" + kind,
      html: '<span class="map-marker-pin"><i class="bi bi-' + icon + '" aria-hidden="true"></i></span>',
      iconSize: [36, 36],
      iconAnchor: [18, 34],
      popupAnchor: [0, -30]
    });
  }

  function start() {
    var element = document.getElementById("party-map");
    if (!element || typeof L === "undefined") return;
    var source = document.getElementById("map-points-data");
    if (source) {
      var data;
      try {
        data = JSON.parse(source.textContent);
      } catch (error) {
        return;
      }
      draw(element, data);
    } else if (element.dataset.pointsApi && window.fetch) {
      // Too many points to carry in the page: the same points from the API, after the page shows.
      fetch(element.dataset.pointsApi, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) draw(element, data); })
        .catch(function () {});
    }
  }

  function draw(element, data) {
    var centre = [parseFloat(element.dataset.centreLat) || 30.0, parseFloat(element.dataset.centreLng) || 120.58];
    // A max zoom of its own: without a tile layer the marker clusters have none to read.
    var map = L.map(element, { scrollWheelZoom: false, minZoom: 9, maxZoom: 18, zoomSnap: 0.25 }).setView(centre, 13);
    element.dataset.ready = "true";

    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, {
        attribution: element.dataset.tileAttribution || "",
        maxZoom: 18
      }).addTo(map);
    }

    var clusters = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 })
      : L.layerGroup();
    var openLabel = element.dataset.openLabel || "Open";
    var bounds = [];
    (data.features || []).forEach(function (feature) {
      if (!feature.geometry || feature.geometry.type !== "Point") return;
      var lng = feature.geometry.coordinates[0];
      var lat = feature.geometry.coordinates[1];
      var props = feature.properties || {};
      var marker = L.marker([lat, lng], {
        icon: markerIcon(props.kind),
        title: props.name,
        alt: props.name,
        keyboard: true
      });
      marker.bindPopup(popupHtml(props, openLabel));
      clusters.addLayer(marker);
      bounds.push([lat, lng]);
    });
    clusters.addTo(map);
    element.dataset.markers = String(bounds.length);

    if (bounds.length === 1) {
      map.setView(bounds[0], 16);
    } else if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
    }
    // The map may have been laid out before the fonts and the list below settled.
    window.addEventListener("load", function () { map.invalidateSize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
