import Foundation
import KeywayCore
import KeywayModel
import KeywayRuntime

/// What each shipped tool's provider answers, recorded as its API reference documents the
/// response (`Tests/Fixtures/outputs/<tool>.json`, written for these tests: realistic
/// shapes, with the fields a tool does not declare, nulls where providers send them).
/// Stand-ins for Nango answer a proxied request with its tool's recording.
enum RecordedAnswers {
    static let folder = packageRoot.appendingPathComponent("Tests/Fixtures/outputs")

    /// The recording of a tool (`stripe_list_customers`), if it has one.
    static func text(_ tool: String) -> String? {
        try? String(contentsOf: folder.appendingPathComponent(tool + ".json"), encoding: .utf8)
    }

    static func json(_ tool: String) -> KeywayRuntime.JSONValue? {
        text(tool).flatMap { try? KeywayRuntime.JSONValue(json: Data($0.utf8)) }
    }

    /// The tools that have a recording, sorted.
    static var tools: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The shipped tools' endpoints: (method, path segments with nil for a placeholder, name).
    private static let routes: [(String, [String?], String)] = {
        let catalog = Pipeline.validate(manifests: packageRoot.appendingPathComponent("Manifests").path).catalog!
        return catalog.connectors.flatMap { c in
            c.tools.map { t in
                (t.method.rawValue, t.endpoint.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }, c.modelName(of: t))
            }
        }
    }()

    /// The shipped tool a request through Nango's proxy (`/proxy/…`) is for.
    static func tool(method: String, proxyPath: String) -> String? {
        guard proxyPath.hasPrefix("/proxy/") else { return nil }
        let segments = proxyPath.dropFirst("/proxy".count).split(separator: "/").map(String.init)
        return routes.first { route in
            route.0 == method && route.1.count == segments.count && zip(route.1, segments).allSatisfy { $0 == nil || $0 == $1 }
        }?.2
    }

    /// The recording of the tool a proxied request is for, else `fallback`.
    static func body(for request: StubNango.Recorded, fallback: String) -> String {
        tool(method: request.method, proxyPath: request.path).flatMap(text) ?? fallback
    }
}
