// swift-tools-version: 6.0
import PackageDescription

// A package that uses keyway the way an app does: its target keeps its own manifests
// (Sources/Consumer/Manifests), the KeywayPlugin build plugin generates the tools from them
// at build time, and the app links KeywayRuntime only. keyway's test copies this folder
// and points the path below at the checkout under test.
let package = Package(
    name: "ConsumerPackage",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "keyway", path: "../../.."),
    ],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [.product(name: "KeywayRuntime", package: "keyway")],
            // Not required (SwiftPM gives the files of a target it does not compile to the
            // target's plugins, without a warning), but an edit of an excluded manifest
            // reruns only the generator; otherwise SwiftPM plans the build again first.
            exclude: ["Manifests"],
            plugins: [.plugin(name: "KeywayPlugin", package: "keyway")]
        ),
    ]
)
