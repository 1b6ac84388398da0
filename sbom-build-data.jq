# `make release`: adds to cargo sbom's SPDX document the crate whose data the module carries without linking
# it: engine/build.rs turns chrono-tz's copy of the IANA time zone database into the engine's zone tables.
.packages += [{
  SPDXID: ("SPDXRef-Package-chrono-tz-" + $version),
  name: "chrono-tz",
  versionInfo: $version,
  description: "IANA time zone database for chrono; its data is compiled into the module as tables",
  downloadLocation: "registry+https://github.com/rust-lang/crates.io-index",
  externalRefs: [{
    referenceCategory: "PACKAGE-MANAGER",
    referenceLocator: ("pkg:cargo/chrono-tz@" + $version),
    referenceType: "purl"
  }],
  homepage: "https://github.com/chronotope/chrono-tz",
  licenseConcluded: "MIT OR Apache-2.0",
  licenseDeclared: "MIT OR Apache-2.0"
}]
| .relationships += [{
  spdxElementId: ("SPDXRef-Package-chrono-tz-" + $version),
  relationshipType: "BUILD_DEPENDENCY_OF",
  relatedSpdxElement: $engine
}]
