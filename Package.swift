// swift-tools-version: 6.0
import PackageDescription

// The pipeline is load → validate → emit → write; each stage is its own target so that
// its dependencies stay honest (emitters cannot touch the file system, the loader knows
// nothing of the model's rules). `KeywayCore` strings the stages together.
let package = Package(
    name: "keyway",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "keyway", targets: ["keyway"]),
        .library(name: "KeywayCore", targets: ["KeywayCore"]),
    ],
    dependencies: [
        // YAML: Yams vendors libyaml (its CYaml target); keyway composes libyaml's events
        // itself so that every node keeps file:line:column and aliases stay bounded.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The CLI.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Templates of the emitters (maintained, Sendable, logic-less).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .target(name: "KeywayModel"),
        .target(
            name: "KeywayLoad",
            dependencies: ["KeywayModel", .product(name: "Yams", package: "Yams")],
            cSettings: [.define("YAML_DECLARE_STATIC")]
        ),
        .target(name: "KeywayValidate", dependencies: ["KeywayModel", "KeywayLoad"]),
        .target(
            name: "KeywayTemplates",
            path: "Templates",
            exclude: ["README.md"],
            resources: [
                .embedInCode("IntegrationCatalog.swift.mustache"),
                .embedInCode("catalog.json.mustache"),
            ]
        ),
        .target(
            name: "KeywayEmit",
            dependencies: ["KeywayModel", "KeywayTemplates", .product(name: "Mustache", package: "swift-mustache")]
        ),
        .target(name: "KeywayWrite", dependencies: ["KeywayModel"]),
        .target(name: "KeywayCore", dependencies: ["KeywayModel", "KeywayLoad", "KeywayValidate", "KeywayEmit", "KeywayWrite"]),
        .executableTarget(
            name: "keyway",
            dependencies: ["KeywayCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The committed output of `keyway generate`, compiled so that a broken emitter breaks the build.
        .target(name: "KeywayGenerated", path: "Generated/Swift"),
        // The tests run the `keyway` binary too, so they depend on it (SwiftPM then builds it first).
        .testTarget(name: "KeywayTests", dependencies: ["KeywayCore", "KeywayGenerated", "keyway"]),
    ]
)
