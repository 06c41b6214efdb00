import KeywayLoad
import KeywayModel
import OpenAPIKit
import OpenAPIKit30
import OpenAPIKitCompat

/// An operation's success answer, read only when a tool's output is drafted or linted.
/// Response schemas are where documents refer to themselves (Stripe's customer holds
/// subscriptions that hold their customer…), which OpenAPIKit cannot resolve, so keyway
/// writes the answer's local `$ref`s out itself, on the parsed tree, a bounded number of
/// references deep: past `maximumReferences` references, or `maximumNodes` nodes, a
/// reference stands for any value. The result has no reference left and is read as one
/// schema by OpenAPIKit, then by `SpecSchema`, as parameters and bodies are.
struct SuccessResponse {
    /// References followed from the answer down one branch: deep enough for the fields a
    /// tool declares (Stripe's list → customer → address is 3).
    static let maximumReferences = 6
    /// Nodes the written-out answer may have: a schema that refers twice to one that
    /// refers twice to … doubles at each reference.
    static let maximumNodes = 50_000

    /// The document's parts that answers need, shared by its operations.
    final class Document: @unchecked Sendable {
        /// `#/components/<kind>/<name>` targets, by "kind/name".
        let components: [String: YAMLNode]
        /// The document's `openapi` version (3.0 documents are read as 3.0, then converted).
        let version: String

        init(root: YAMLNode, version: String) {
            var components: [String: YAMLNode] = [:]
            if case .mapping(let top) = root.value, let node = top.first(where: { $0.key == "components" })?.value, case .mapping(let kinds) = node.value {
                for kind in kinds {
                    guard case .mapping(let entries) = kind.value.value else { continue }
                    for entry in entries where components[kind.key + "/" + entry.key] == nil { components[kind.key + "/" + entry.key] = entry.value }
                }
            }
            self.components = components
            self.version = version
        }
    }

    /// Why an answer cannot be read.
    struct Unreadable: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The operation's `responses` mapping, as written.
    let responses: YAMLNode
    let document: Document

    /// The schema of the first 2xx JSON answer (`200`, else the lowest 2xx, else `2XX`), or
    /// why there is none to read.
    func schema() -> Result<SpecSchema, SuccessResponse.Unreadable> {
        guard case .mapping(let pairs) = responses.value else { return .failure(.init("the operation lists no responses")) }
        let codes = pairs.map(\.key).filter { $0.count == 3 && $0.hasPrefix("2") && $0.allSatisfy(\.isNumber) }.sorted()
        guard let code = codes.first ?? pairs.map(\.key).first(where: { $0.uppercased() == "2XX" }),
              let node = pairs.first(where: { $0.key == code })?.value else { return .failure(.init("the operation lists no success (2xx) response")) }
        var budget = Self.maximumNodes
        let response = inline(node, references: 0, budget: &budget)
        guard case .mapping(let fields) = response.value, let content = fields.first(where: { $0.key == "content" })?.value,
              case .mapping(let types) = content.value,
              let json = types.first(where: { $0.key.split(separator: ";")[0].trimmingCharacters(in: .whitespaces) == "application/json" || $0.key.hasSuffix("+json") }),
              case .mapping(let media) = json.value.value, let schema = media.first(where: { $0.key == "schema" })?.value else {
            return .failure(.init("its \(code) response has no JSON body"))
        }
        return ProviderAPI.onLargeStack { decode(schema) }
    }

    /// The schema read by OpenAPIKit as the one component of a document of the same
    /// version (so that a 3.0 schema's `nullable` is converted as the document's are).
    private func decode(_ schema: YAMLNode) -> Result<SpecSchema, SuccessResponse.Unreadable> {
        let at = schema.location
        func scalar(_ text: String) -> YAMLNode { YAMLNode(.scalar(YAMLScalar(text: text, style: .quoted)), at: at) }
        func mapping(_ pairs: [(String, YAMLNode)]) -> YAMLNode { YAMLNode(.mapping(pairs.map { YAMLPair(key: $0.0, keyLocation: at, value: $0.1) }), at: at) }
        let wrapper = mapping([
            ("openapi", scalar(document.version)),
            ("info", mapping([("title", scalar("answer")), ("version", scalar("1"))])),
            ("paths", mapping([])),
            ("components", mapping([("schemas", mapping([("answer", schema)]))])),
        ])
        do {
            let parsed: OpenAPIKit.OpenAPI.Document = document.version.hasPrefix("3.0.")
                ? try YAMLNodeDecoder(node: wrapper).decode(OpenAPIKit30.OpenAPI.Document.self).convert(to: .v3_1_1)
                : try YAMLNodeDecoder(node: wrapper).decode(OpenAPIKit.OpenAPI.Document.self)
            guard let answer = parsed.components.schemas["answer"] else { return .failure(.init("its answer's schema cannot be read")) }
            return .success(SpecSchema(try answer.dereferenced(in: parsed.components)))
        } catch {
            return .failure(.init("its answer's schema cannot be read (\(ProviderAPI.trimmed(String(describing: error))))"))
        }
    }

    /// `node` with every local `$ref` replaced by its target, at most `maximumReferences`
    /// deep and `maximumNodes` in all; a reference past either is `{}` (any value).
    private func inline(_ node: YAMLNode, references: Int, budget: inout Int) -> YAMLNode {
        budget -= 1
        switch node.value {
        case .scalar:
            return node
        case .sequence(let items):
            return YAMLNode(.sequence(items.map { inline($0, references: references, budget: &budget) }), at: node.location)
        case .mapping(let pairs):
            if let reference = pairs.first(where: { $0.key == "$ref" }), case .scalar(let target) = reference.value.value {
                guard target.text.hasPrefix("#/components/"), references < Self.maximumReferences, budget > 0,
                      let found = document.components[String(target.text.dropFirst("#/components/".count)).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")] else {
                    return YAMLNode(.mapping([]), at: node.location)
                }
                return inline(found, references: references + 1, budget: &budget)
            }
            return YAMLNode(.mapping(pairs.map { YAMLPair(key: $0.key, keyLocation: $0.keyLocation, value: inline($0.value, references: references, budget: &budget)) }), at: node.location)
        }
    }
}
