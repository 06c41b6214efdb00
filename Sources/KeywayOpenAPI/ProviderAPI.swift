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

    /// Larger documents are refused before they are read: the biggest public API
    /// descriptions are a few tens of MiB of YAML.
    public static let maximumBytes = 64 << 20
    /// Bounds on documents, checked by keyway's composer as it reads (JSON too): nodes once
    /// aliases are expanded, nodes aliases add ("billion laughs": a few hundred bytes
    /// must not become a million nodes), and nesting. Real documents nest far less (see
    /// the Limits article).
    static let yamlLimits: YAMLLimits = {
        var limits = YAMLLimits()
        limits.maxExpandedNodes = 20_000_000
        limits.maxAliasedNodes = 100_000
        limits.maxDepth = 128
        return limits
    }()

    /// Several documents of one provider as one (HubSpot, for one, publishes a document
    /// per API): their operations together; the first document names the whole.
    public static func merged(_ apis: [ProviderAPI]) -> ProviderAPI {
        ProviderAPI(file: apis.map(\.file).joined(separator: ", "), operations: apis.flatMap(\.operations))
    }

    init(file: String, operations: [APIOperation]) {
        self.file = file
        self.operations = operations.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    /// Decodes a document already read into memory, JSON or YAML, both read by keyway's
    /// composer (bounded, positioned, keys in the document's order) and then by OpenAPIKit
    /// on a stack sized for the nesting allowed. Every failure is one diagnostic, never a
    /// crash.
    public static func decode(_ data: Data, file: String) -> Result<ProviderAPI, Diagnostic> {
        let at = SourceLocation(file: file, line: 1, column: 1)
        func fail(_ message: String) -> Result<ProviderAPI, Diagnostic> { .failure(.error(at, message)) }
        guard data.count <= maximumBytes else {
            return fail("the OpenAPI document is larger than \(maximumBytes >> 20) MiB; keyway does not read it")
        }
        guard String(validating: data, as: UTF8.self) != nil else { return fail("the OpenAPI document is not UTF-8 text") }
        var bytes = Array(data)
        if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
            bytes = JSONText.yamlEscapes(bytes)
        }
        let parsed = YAMLDocument.parse(bytes, file: file, limits: yamlLimits)
        if let problem = parsed.diagnostics.first {
            return .failure(.error(problem.location, "cannot read the OpenAPI document: \(problem.message)"))
        }
        guard let parsedRoot = parsed.root else { return fail("the OpenAPI document is empty") }
        let root = typeListsAsAnyOf(parsedRoot)
        let references: ReferenceBounds
        switch ReferenceBounds.check(root) {
        case .success(let bounds): references = bounds
        case .failure(let problem): return .failure(problem)
        }
        return onLargeStack {
            let document: OpenAPIKit.OpenAPI.Document
            let version: String
            do {
                version = try YAMLNodeDecoder(node: root).decode(VersionProbe.self).openapi
                switch Family(version) {
                case .v30: document = try YAMLNodeDecoder(node: root).decode(OpenAPIKit30.OpenAPI.Document.self).convert(to: .v3_1_1)
                case .v31: document = try YAMLNodeDecoder(node: root).decode(OpenAPIKit.OpenAPI.Document.self)
                case nil: return fail(unsupported(version))
                }
            } catch {
                return fail("the OpenAPI document cannot be decoded: \(trimmed(OpenAPIKit.OpenAPI.Error(from: error).localizedDescription))")
            }
            let answers = SuccessResponse.Document(root: root, version: version)
            return .success(ProviderAPI(file: file, operations: operations(of: document, cyclic: references.cyclic, responses: responseNodes(root), answers: answers)))
        }
    }

    /// OpenAPI 3.1's `type: [integer, string]` as `anyOf: [{type: integer, …}, {type:
    /// string, …}]`, each branch with the schema's other keywords: OpenAPIKit reads a list
    /// of types as its first (integer, silently), where keyway's rules must see every
    /// branch. A list of one type and `null` is left as it is (OpenAPIKit reads it as
    /// nullable). Linear: the tree is rebuilt once.
    static func typeListsAsAnyOf(_ node: YAMLNode) -> YAMLNode {
        switch node.value {
        case .scalar: return node
        case .sequence(let items):
            return YAMLNode(.sequence(items.map(typeListsAsAnyOf)), at: node.location)
        case .mapping(let pairs):
            var rebuilt: [YAMLPair] = []
            rebuilt.reserveCapacity(pairs.count)
            for pair in pairs {
                if pair.key == "type", case .sequence(let types) = pair.value.value,
                   types.filter({ if case .scalar(let t) = $0.value { t.text != "null" } else { false } }).count > 1,
                   types.allSatisfy({ if case .scalar = $0.value { true } else { false } }),
                   !pairs.contains(where: { $0.key == "anyOf" }) {
                    let siblings = pairs.filter { $0.key != "type" }.map { YAMLPair(key: $0.key, keyLocation: $0.keyLocation, value: typeListsAsAnyOf($0.value)) }
                    let branches = types.map { type in
                        YAMLNode(.mapping([YAMLPair(key: "type", keyLocation: type.location, value: type)] + siblings), at: type.location)
                    }
                    rebuilt.append(YAMLPair(key: "anyOf", keyLocation: pair.keyLocation, value: YAMLNode(.sequence(branches), at: pair.value.location)))
                    continue
                }
                rebuilt.append(YAMLPair(key: pair.key, keyLocation: pair.keyLocation, value: typeListsAsAnyOf(pair.value)))
            }
            return YAMLNode(.mapping(rebuilt), at: node.location)
        }
    }

    /// Runs `work` on a thread of its own whose stack fits the nesting keyway lets through
    /// (`yamlLimits.maxDepth`, `ReferenceBounds.maximumDepth`): OpenAPIKit's decoder and
    /// dereferencing recurse once per level, and the threads Swift concurrency runs
    /// commands on have small stacks. Only the pages used are ever committed.
    static func onLargeStack<T>(_ work: @escaping () -> T) -> T {
        let box = LargeStackBox(work)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = box.work()
            done.signal()
        }
        thread.stackSize = 1 << 30
        thread.start()
        done.wait()
        return box.value!
    }

    /// Every operation, each dereferenced on its own: a `$ref` cycle (a recursive schema,
    /// common in real documents) makes `locallyDereferenced()` refuse the whole document,
    /// so keyway resolves what each rule reads — parameters and request body, not
    /// responses — and marks only the operations that cannot be resolved: those `cyclic`
    /// names (see `ReferenceBounds`), without walking into their cycles.
    /// Each operation's `responses` node as written ("METHOD path", method upper case), for
    /// `SuccessResponse`; operations of a path item that is a `$ref` have none.
    static func responseNodes(_ root: YAMLNode) -> [String: YAMLNode] {
        guard case .mapping(let top) = root.value, let paths = top.first(where: { $0.key == "paths" })?.value, case .mapping(let items) = paths.value else { return [:] }
        var out: [String: YAMLNode] = [:]
        for item in items {
            guard case .mapping(let methods) = item.value.value else { continue }
            for method in methods where ReferenceBounds.methods.contains(method.key) {
                if case .mapping(let fields) = method.value.value, let responses = fields.first(where: { $0.key == "responses" })?.value {
                    out[method.key.uppercased() + " " + item.key] = responses
                }
            }
        }
        return out
    }

    static func operations(of document: OpenAPIKit.OpenAPI.Document, cyclic: [String: String], responses: [String: YAMLNode] = [:],
                           answers: SuccessResponse.Document? = nil) -> [APIOperation] {
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
                let method = endpoint.method.rawValue.uppercased()
                var problem: String?
                var parameters: [OpenAPIKit.DereferencedParameter] = []
                var body: OpenAPIKit.DereferencedRequest?
                if let cycle = cyclic[method + " " + path.rawValue] {
                    problem = "its parameters or request body lead to \(cycle), which refers to itself through $ref; keyway resolves schemas without cycles"
                } else {
                    var seen = Set<String>()
                    for parameter in operation.parameters + pathItem.parameters {
                        do {
                            let p = try parameter.dereferenced(in: components)
                            if seen.insert("\(p.location.rawValue) \(p.name)").inserted { parameters.append(p) }
                        } catch {
                            problem = problem ?? trimmed(String(describing: error))
                        }
                    }
                    do { body = try operation.requestBody?.dereferenced(in: components) } catch { problem = problem ?? trimmed(String(describing: error)) }
                }
                var oauthScopes: [[String]] = []
                for requirement in operation.security ?? document.security {
                    for (reference, scopes) in requirement.sorted(by: { $0.key.absoluteString < $1.key.absoluteString }) {
                        if let scheme = try? components.lookup(reference), case .oauth2 = scheme.type { oauthScopes.append(scopes) }
                    }
                }
                var answer: SuccessResponse?
                if let node = responses[method + " " + path.rawValue], let answers { answer = SuccessResponse(responses: node, document: answers) }
                result.append(APIOperation(
                    path: path.rawValue, method: method, operationId: operation.operationId,
                    summary: operation.summary, description: operation.description,
                    parameters: parameters, requestBody: body, oauthScopes: oauthScopes, problem: problem, answer: answer))
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
    /// Its success answer, read when asked (`answerSchema()`).
    let answer: SuccessResponse?

    /// The schema of the operation's success answer, or why there is none to read.
    func answerSchema() -> Result<SpecSchema, SuccessResponse.Unreadable> {
        answer?.schema() ?? .failure(.init("the operation lists no responses"))
    }
}

/// The work of `ProviderAPI.onLargeStack` and its result, handed to its thread and back
/// (the caller waits, so they are never touched at once).
private final class LargeStackBox<T>: @unchecked Sendable {
    var value: T?
    let work: () -> T
    init(_ work: @escaping () -> T) { self.work = work }
}
