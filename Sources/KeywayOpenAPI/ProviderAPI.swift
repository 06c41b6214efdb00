import Foundation
import KeywayLoad
import KeywayModel
import OpenAPIKit
import OpenAPIKit30
import OpenAPIKitCompat

/// A provider's OpenAPI document (3.0 or 3.1), decoded, each operation merged with its
/// path item and its local `$ref`s resolved.
/// 3.0 documents are converted to 3.1 first, so the rules read one model.
public struct ProviderAPI {
    /// The document as named on the command line, where document-level diagnostics go.
    public let file: String
    /// Every operation, sorted by path then method.
    public let operations: [APIOperation]
    /// Whether objects' properties are in the document's order: YAML yes; JSON no, as
    /// Foundation's decoder hands keys over in no stable order.
    public let keepsOrder: Bool

    /// Larger documents are refused before they are read: the biggest public API
    /// descriptions are a few tens of MiB of YAML.
    public static let maximumBytes = 64 << 20
    /// Bounds on YAML documents, checked by keyway's composer as it reads: nodes once
    /// aliases are expanded ("billion laughs"), and nesting.
    static let yamlLimits: YAMLLimits = {
        var limits = YAMLLimits()
        limits.maxExpandedNodes = 20_000_000
        limits.maxDepth = 256
        return limits
    }()

    /// Several documents of one provider as one (HubSpot, for one, publishes a document
    /// per API): their operations together; the first document names the whole.
    public static func merged(_ apis: [ProviderAPI]) -> ProviderAPI {
        ProviderAPI(file: apis.map(\.file).joined(separator: ", "), operations: apis.flatMap(\.operations), keepsOrder: apis.allSatisfy(\.keepsOrder))
    }

    init(file: String, operations: [APIOperation], keepsOrder: Bool) {
        self.file = file
        self.keepsOrder = keepsOrder
        self.operations = operations.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    /// Decodes a document already read into memory. JSON when it starts with `{`, YAML
    /// otherwise. Every failure is one diagnostic at the file, never a crash.
    public static func decode(_ data: Data, file: String) -> Result<ProviderAPI, Diagnostic> {
        let at = SourceLocation(file: file, line: 1, column: 1)
        func fail(_ message: String) -> Result<ProviderAPI, Diagnostic> { .failure(.error(at, message)) }
        guard data.count <= maximumBytes else {
            return fail("the OpenAPI document is larger than \(maximumBytes >> 20) MiB; keyway does not read it")
        }
        let isJSON = data.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
        let document: OpenAPIKit.OpenAPI.Document
        do {
            if isJSON {
                let version = try JSONDecoder().decode(VersionProbe.self, from: data).openapi
                switch Family(version) {
                case .v30: document = try JSONDecoder().decode(OpenAPIKit30.OpenAPI.Document.self, from: data).convert(to: .v3_1_1)
                case .v31: document = try JSONDecoder().decode(OpenAPIKit.OpenAPI.Document.self, from: data)
                case nil: return fail(unsupported(version))
                }
            } else {
                guard String(data: data, encoding: .utf8) != nil else {
                    return fail("the OpenAPI document is not UTF-8 text")
                }
                let parsed = YAMLDocument.parse(Array(data), file: file, limits: yamlLimits)
                if let problem = parsed.diagnostics.first {
                    return .failure(.error(problem.location, "cannot read the OpenAPI document: \(problem.message)"))
                }
                guard let root = parsed.root else { return fail("the OpenAPI document is empty") }
                let version = try YAMLNodeDecoder(node: root).decode(VersionProbe.self).openapi
                switch Family(version) {
                case .v30: document = try YAMLNodeDecoder(node: root).decode(OpenAPIKit30.OpenAPI.Document.self).convert(to: .v3_1_1)
                case .v31: document = try YAMLNodeDecoder(node: root).decode(OpenAPIKit.OpenAPI.Document.self)
                case nil: return fail(unsupported(version))
                }
            }
        } catch {
            return fail("the OpenAPI document cannot be decoded: \(trimmed(OpenAPIKit.OpenAPI.Error(from: error).localizedDescription))")
        }
        return .success(ProviderAPI(file: file, operations: operations(of: document), keepsOrder: !isJSON))
    }

    /// Every operation, each dereferenced on its own: a `$ref` cycle (a recursive schema,
    /// common in real documents) makes `locallyDereferenced()` refuse the whole document,
    /// so keyway resolves what each rule reads — parameters and request body, not
    /// responses — and marks only the operations that cannot be resolved.
    static func operations(of document: OpenAPIKit.OpenAPI.Document) -> [APIOperation] {
        let components = document.components
        var result: [APIOperation] = []
        for (path, item) in document.paths {
            let pathItem: OpenAPIKit.OpenAPI.PathItem
            switch item {
            case .b(let inline): pathItem = inline
            case .a(let reference):
                guard let found = try? components.lookup(reference) else { continue }
                pathItem = found
            }
            for endpoint in pathItem.endpoints {
                let operation = endpoint.operation
                var problem: String?
                var parameters: [OpenAPIKit.DereferencedParameter] = []
                var seen = Set<String>()
                for parameter in operation.parameters + pathItem.parameters {
                    do {
                        let p = try parameter.dereferenced(in: components)
                        if seen.insert("\(p.location.rawValue) \(p.name)").inserted { parameters.append(p) }
                    } catch {
                        problem = problem ?? trimmed(String(describing: error))
                    }
                }
                var body: OpenAPIKit.DereferencedRequest?
                do { body = try operation.requestBody?.dereferenced(in: components) } catch { problem = problem ?? trimmed(String(describing: error)) }
                var oauthScopes: [[String]] = []
                for requirement in operation.security ?? document.security {
                    for (reference, scopes) in requirement.sorted(by: { $0.key.absoluteString < $1.key.absoluteString }) {
                        if let scheme = try? components.lookup(reference), case .oauth2 = scheme.type { oauthScopes.append(scopes) }
                    }
                }
                result.append(APIOperation(
                    path: path.rawValue, method: endpoint.method.rawValue.uppercased(), operationId: operation.operationId,
                    summary: operation.summary, description: operation.description,
                    parameters: parameters, requestBody: body, oauthScopes: oauthScopes, problem: problem))
            }
        }
        return result
    }

    private struct VersionProbe: Decodable {
        var openapi: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            openapi = (try? c.decode(String.self, forKey: .openapi)) ?? (try? c.decode(String.self, forKey: .swagger)).map { "swagger \($0)" } ?? ""
        }
        enum Keys: String, CodingKey { case openapi, swagger }
    }

    private enum Family {
        case v30, v31
        init?(_ version: String) {
            if version.hasPrefix("3.0.") { self = .v30 } else if version.hasPrefix("3.1.") || version.hasPrefix("3.2.") { self = .v31 } else { return nil }
        }
    }

    private static func unsupported(_ version: String) -> String {
        if version.isEmpty { return "not an OpenAPI document (no 'openapi' version at the top); keyway reads OpenAPI 3.0 and 3.1" }
        if version.hasPrefix("swagger") { return "a Swagger 2.0 document; convert it to OpenAPI 3 (e.g. with swagger2openapi) first" }
        return "OpenAPI version '\(version.forDiagnostic)' is not one keyway reads (3.0.x, 3.1.x)"
    }

    /// OpenAPIKit's messages on one line, at most 300 characters, escaped.
    static func trimmed(_ message: String) -> String {
        var oneLine = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        while oneLine.hasSuffix(".") { oneLine.removeLast() }
        let cut = oneLine.count > 300 ? String(oneLine.prefix(300)) + "…" : oneLine
        return cut.escapingControls
    }
}

/// One operation of the document, as the rules read it.
public struct APIOperation {
    /// As written in the document (`/v1/customers/{customer}`).
    public let path: String
    /// Upper case (`GET`).
    public let method: String
    public let operationId: String?
    public let summary: String?
    public let description: String?
    /// The operation's, then its path item's (an operation's own wins), each resolved.
    public let parameters: [OpenAPIKit.DereferencedParameter]
    public let requestBody: OpenAPIKit.DereferencedRequest?
    /// The scopes of each security requirement that names an OAuth 2 scheme (the
    /// operation's, else the document's), in the document's order.
    public let oauthScopes: [[String]]
    /// Why part of the operation could not be resolved (a `$ref` cycle, a missing
    /// component), if it could not.
    public let problem: String?
}
