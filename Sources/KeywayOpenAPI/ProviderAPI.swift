import CYaml
import Foundation
import KeywayModel
import OpenAPIKit
import OpenAPIKit30
import OpenAPIKitCompat
import Yams

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
    /// Bounds on YAML documents, checked on libyaml's events before Yams builds anything:
    /// nodes once aliases are expanded ("billion laughs"), and nesting.
    static let maximumExpandedNodes = 20_000_000
    static let maximumDepth = 256

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
                guard let text = String(data: data, encoding: .utf8) else {
                    return fail("the OpenAPI document is not UTF-8 text")
                }
                if let problem = yamlProblem(Array(data)) { return fail(problem) }
                guard let root = try Yams.Parser(yaml: text).singleRoot().map(plainKeys) else {
                    return fail("the OpenAPI document is empty")
                }
                let version = root["openapi"]?.string ?? root["swagger"].map { "swagger \($0.string ?? "")" } ?? ""
                switch Family(version) {
                case .v30: document = try YAMLDecoder().decode(OpenAPIKit30.OpenAPI.Document.self, from: root).convert(to: .v3_1_1)
                case .v31: document = try YAMLDecoder().decode(OpenAPIKit.OpenAPI.Document.self, from: root)
                case nil: return fail(unsupported(version))
                }
            }
        } catch let error as YamlError {
            return fail("the OpenAPI document is not valid YAML: \(trimmed(String(describing: error)))")
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

    /// OpenAPIKit's and Yams' messages on one line, at most 300 characters, escaped.
    static func trimmed(_ message: String) -> String {
        var oneLine = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        while oneLine.hasSuffix(".") { oneLine.removeLast() }
        let cut = oneLine.count > 300 ? String(oneLine.prefix(300)) + "…" : oneLine
        return cut.escapingControls
    }

    /// The node with every mapping key as an untagged plain scalar. Yams finds a key by
    /// comparing resolved tags, so a quoted `'200':` (a string) is not found when the
    /// decoder asks for `200` (resolved as an integer): OpenAPIKit then reports responses
    /// missing. Resolving the keys as the lookup does makes them meet.
    static func plainKeys(_ node: Node) -> Node {
        switch node {
        case .scalar, .alias: node
        case .sequence(let s): .sequence(Node.Sequence(s.map(plainKeys), s.tag, s.style, s.mark))
        case .mapping(let m):
            .mapping(Node.Mapping(m.map { (Node($0.key.string ?? "", m.tag.copy(with: .implicit)), plainKeys($0.value)) }, m.tag, m.style, m.mark))
        }
    }

    /// Walks libyaml's events once, counting nodes as they would be once aliases are
    /// expanded and the nesting depth; a document past either bound is refused before
    /// Yams composes it (its composer and decoder would expand aliases).
    static func yamlProblem(_ bytes: [UInt8]) -> String? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return "cannot start the YAML parser" }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer -> String? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // Each open collection: its anchor (if any) and the node count when it opened,
            // so that its size once closed is the difference.
            var open: [(anchor: String?, start: Int)] = []
            var sizes: [String: Int] = [:]
            var total = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }  // Yams reports the syntax error
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    total += 1
                    if let a = event.data.scalar.anchor { sizes[String(cString: a)] = 1 }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    total += 1
                    let anchor = event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    open.append((anchor.map { String(cString: $0) }, total - 1))
                    if open.count > maximumDepth { return "the OpenAPI document nests deeper than \(maximumDepth) levels; keyway does not read it" }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    if let closed = open.popLast(), let anchor = closed.anchor { sizes[anchor] = total - closed.start }
                case YAML_ALIAS_EVENT:
                    total += event.data.alias.anchor.flatMap { sizes[String(cString: $0)] } ?? 1
                default:
                    break
                }
                if total > maximumExpandedNodes {
                    return "the OpenAPI document expands to more than \(maximumExpandedNodes) YAML nodes once its aliases are followed; keyway does not read it"
                }
            }
        }
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
