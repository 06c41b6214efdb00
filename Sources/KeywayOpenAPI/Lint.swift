import Foundation
import KeywayContract
import KeywayModel
import OpenAPIKit

/// `keyway tools lint`: each tool held against the provider's own OpenAPI document.
/// Pure: a decoded document and validated connectors in, positioned diagnostics out.
public struct OpenAPILinter {
    public let api: ProviderAPI
    /// What the document's paths hold before the path Nango's base URL ends with
    /// (`/api` for a document whose paths are `/api/chat.postMessage`); "" for none.
    public let basePath: String
    /// The operations by what a tool's endpoint is compared with, built once.
    let index: OperationIndex
    /// The did-you-mean work of this linter's run.
    let budget = SuggestionBudget()

    public init(api: ProviderAPI, basePath: String = "") {
        self.api = api
        self.basePath = Self.normalized(basePath)
        index = OperationIndex(api.operations, basePath: self.basePath)
    }

    /// The document's operations by method and path shape, and its paths by shape (each
    /// shape's first path, in the document's order): lookups instead of a scan per tool.
    struct OperationIndex {
        var byMethodAndShape: [String: APIOperation] = [:]
        var methodsByShape: [String: [String]] = [:]
        var pathByShape: [String: String] = [:]
        /// Every shape, sorted: the did-you-mean candidates.
        var shapes: [String] = []

        init(_ operations: [APIOperation], basePath: String) {
            for operation in operations {
                guard let path = OpenAPILinter.relative(operation.path, basePath: basePath) else { continue }
                let shape = OpenAPILinter.shape(path)
                if byMethodAndShape[operation.method + " " + shape] == nil { byMethodAndShape[operation.method + " " + shape] = operation }
                methodsByShape[shape, default: []].append(operation.method)
                if pathByShape[shape] == nil { pathByShape[shape] = path }
            }
            shapes = pathByShape.keys.sorted()
        }
    }

    /// `/api/` and `api` both mean `/api`; `/` means none.
    static func normalized(_ basePath: String) -> String {
        var p = basePath.trimmingCharacters(in: .whitespaces)
        while p.hasSuffix("/") { p.removeLast() }
        if !p.isEmpty && !p.hasPrefix("/") { p = "/" + p }
        return p
    }

    /// Every finding for every tool of the connectors, sorted for the report.
    public func lint(_ connectors: [Connector]) -> [Diagnostic] {
        connectors.flatMap { $0.tools.flatMap(lint) }.sortedForReport()
    }

    /// The path of an operation as a tool's endpoint would say it, or nil when the base
    /// path does not start it.
    func relative(_ path: String) -> String? { Self.relative(path, basePath: basePath) }

    static func relative(_ path: String, basePath: String) -> String? {
        if basePath.isEmpty { return path }
        if path == basePath { return "/" }
        return path.hasPrefix(basePath + "/") ? String(path.dropFirst(basePath.count)) : nil
    }

    /// A path template's shape: placeholders without their names (`/v1/{}/items`).
    static func shape(_ path: String) -> String {
        var out = ""
        var inside = false
        for ch in path {
            if ch == "{" { inside = true; out.append("{") } else if ch == "}" { inside = false; out.append("}") } else if !inside { out.append(ch) }
        }
        return out
    }

    func operation(for tool: Tool) -> APIOperation? {
        index.byMethodAndShape[tool.method.rawValue + " " + Self.shape(tool.endpoint)]
    }

    func lint(_ tool: Tool) -> [Diagnostic] {
        var out: [Diagnostic] = []
        guard let operation = operation(for: tool) else { return [notFound(tool)] }
        let title = "\(operation.method) \(operation.path.forDiagnostic)"
        scopes(tool, operation, title, &out)
        if let problem = operation.problem {
            out.append(.warning(tool.location, "the document's \(title) cannot be resolved (\(problem)); its inputs are not checked"))
            return out
        }
        var checker = InputLinter(tool: tool, out: out, budget: budget)
        checker.parameters(operation, specPath: relative(operation.path) ?? operation.path)
        if tool.request == .standard { checker.body(operation) }
        if let output = tool.output { checker.output(output, operation) }
        return checker.out
    }

    /// Not in the document: another method at the same path, or the closest path (by
    /// edits, within the run's did-you-mean budget; else the path that shares the most
    /// leading segments with the endpoint, when that is most of them).
    func notFound(_ tool: Tool) -> Diagnostic {
        let shape = Self.shape(tool.endpoint)
        let endpoint = tool.endpoint.forDiagnostic
        if let methods = index.methodsByShape[shape] {
            return .error(tool.location(ofKey: "method"), "the OpenAPI document has no \(tool.method.rawValue) \(endpoint), only \(methods.joined(separator: ", ")); change 'method'")
        }
        if let near = EditDistance.closest(to: shape, in: index.shapes, charge: budget.charge) ?? sharedPrefix(shape), let path = index.pathByShape[near] {
            let methods = index.methodsByShape[near, default: []].joined(separator: ", ")
            return .error(tool.location(ofKey: "endpoint"), "the OpenAPI document has no operation \(tool.method.rawValue) \(endpoint); did you mean \(path.forDiagnostic) (\(methods))?")
        }
        let hint = basePath.isEmpty
            ? "check 'endpoint', or pass --base-path when the document's paths start with what Nango's base URL already holds"
            : "check 'endpoint' and --base-path \(basePath.forDiagnostic)"
        return .error(tool.location(ofKey: "endpoint"), "the OpenAPI document has no operation \(tool.method.rawValue) \(endpoint); \(hint)")
    }

    /// The shape sharing the most leading segments with `shape`, if it shares more than
    /// half of them (the first such, in sorted order).
    func sharedPrefix(_ shape: String) -> String? {
        let segments = shape.split(separator: "/")
        var best: (shape: String, shared: Int)?
        for candidate in index.shapes {
            let shared = zip(segments, candidate.split(separator: "/")).prefix { $0 == $1 }.count
            if shared * 2 > segments.count, shared > (best?.shared ?? 0) { best = (candidate, shared) }
        }
        return best?.shape
    }

    /// The tool's scopes are among the operation's OAuth scopes, when it lists any.
    func scopes(_ tool: Tool, _ operation: APIOperation, _ title: String, _ out: inout [Diagnostic]) {
        var accepted: [String] = []
        for scope in operation.oauthScopes.joined() where !accepted.contains(scope) { accepted.append(scope) }
        guard !accepted.isEmpty else { return }
        for scope in tool.scopes where !accepted.contains(scope) {
            let list = accepted.prefix(8).map { "'\($0.forDiagnostic)'" }.joined(separator: ", ") + (accepted.count > 8 ? ", …" : "")
            out.append(.error(tool.scopeLocations[scope] ?? tool.location,
                              "scope '\(scope.forDiagnostic)' is not one the document lists for \(title) (\(list)); use one of those"))
        }
    }
}

/// One tool's inputs held against one operation.
struct InputLinter {
    var tool: Tool
    var out: [Diagnostic]
    /// The did-you-mean work of the run.
    let budget: SuggestionBudget

    /// Headers Nango or keyway's runtime set on every request: never asked of a manifest.
    static let transportHeaders: Set<String> = ["authorization", "content-type", "accept"]

    func at(_ input: InputField) -> SourceLocation { tool.location(of: input) }

    mutating func parameters(_ operation: APIOperation, specPath: String) {
        let placeholders = Tool.placeholders(in: specPath)
        let manifestPlaceholders = tool.pathParameters
        for input in tool.inputs where input.placement != .body {
            switch input.placement {
            case .path:
                guard let index = manifestPlaceholders.firstIndex(of: input.name), index < placeholders.count,
                      let parameter = operation.parameters.first(where: { $0.location == .path && $0.name == placeholders[index] }) else { continue }
                check(input, parameter)
            case .query, .header:
                let sameName: (DereferencedParameter) -> Bool = input.placement == .header
                    ? { $0.name.lowercased() == input.wireName.lowercased() } : { $0.name == input.wireName }
                if let parameter = operation.parameters.first(where: { $0.location.rawValue == input.placement.rawValue && sameName($0) }) {
                    check(input, parameter)
                } else if input.placement == .query, let (parameter, key) = deepObjectMember(input.wireName, operation) {
                    deepObject(input, parameter, key)
                } else if input.placement == .query, let parameter = deepObjectArray(input.wireName, operation) {
                    deepObjectArray(input, parameter)
                } else {
                    unknownParameter(input, operation)
                }
            case .body: break
            }
        }
        var missing: [String] = []
        for parameter in operation.parameters where parameter.required {
            switch parameter.location {
            case .query:
                if !tool.inputs.contains(where: { $0.placement == .query && ($0.wireName == parameter.name || $0.wireName.hasPrefix(parameter.name + "[")) }) {
                    missing.append("query parameter '\(parameter.name.forDiagnostic)' (in: query)")
                }
            case .header:
                if !Self.transportHeaders.contains(parameter.name.lowercased()),
                   !tool.inputs.contains(where: { $0.placement == .header && $0.wireName.lowercased() == parameter.name.lowercased() }) {
                    missing.append("header '\(parameter.name.forDiagnostic)' (in: header)")
                }
            default: break
            }
        }
        if !missing.isEmpty {
            out.append(.error(tool.location, "the operation requires \(missing.joined(separator: ", ")); add an input for \(missing.count == 1 ? "it" : "each")"))
        }
    }

    /// `filter[status]` sent for a `deepObject` query parameter `filter` with a `status` key.
    func deepObjectMember(_ wire: String, _ operation: APIOperation) -> (DereferencedParameter, String)? {
        guard wire.hasSuffix("]"), let open = wire.firstIndex(of: "[") else { return nil }
        let base = String(wire[..<open])
        let key = String(wire[wire.index(after: open)..<wire.index(before: wire.endIndex)])
        guard !key.isEmpty, !key.contains("["),
              let parameter = operation.parameters.first(where: { $0.location == .query && $0.name == base }),
              case .a(let context) = parameter.schemaOrContent, context.style == .deepObject else { return nil }
        return (parameter, key)
    }

    /// `expand[]` sent for a `deepObject` query parameter `expand` whose schema is an array
    /// (Stripe's idiom, read as `expand[]=a&expand[]=b`).
    func deepObjectArray(_ wire: String, _ operation: APIOperation) -> DereferencedParameter? {
        guard wire.hasSuffix("[]"), let parameter = operation.parameters.first(where: { $0.location == .query && $0.name == wire.dropLast(2) }),
              case .a(let context) = parameter.schemaOrContent, context.style == .deepObject, context.explode,
              case .array = SpecSchema(context.schema).shape else { return nil }
        return parameter
    }

    mutating func deepObjectArray(_ input: InputField, _ parameter: DereferencedParameter) {
        guard case .a(let context) = parameter.schemaOrContent else { return }
        if input.style == .comma {
            out.append(.error(at(input), "the document reads '\(parameter.name.forDiagnostic)' as \(input.wireName.forDiagnostic)=a&\(input.wireName.forDiagnostic)=b (a deepObject array); remove style: comma"))
        }
        compare(input.schema, SpecSchema(context.schema), "input '\(input.name)'", at(input), required: parameter.required)
    }

    mutating func deepObject(_ input: InputField, _ parameter: DereferencedParameter, _ key: String) {
        guard case .a(let context) = parameter.schemaOrContent else { return }
        let schema = SpecSchema(context.schema)
        guard case .object(let properties, let required, let additional) = schema.shape else { return }
        if let property = properties.first(where: { $0.name == key }) {
            compare(input.schema, property.schema, "input '\(input.name)'", at(input), required: parameter.required && required.contains(key))
        } else if case .some(let values) = additional {
            if let values { compare(input.schema, values, "input '\(input.name)'", at(input), required: false) }
        } else {
            let hint = EditDistance.closest(to: key, in: properties.map(\.name), charge: budget.charge).map { "; did you mean '\(parameter.name.forDiagnostic)[\($0.forDiagnostic)]'?" } ?? "; remove the input or fix 'wire'"
            out.append(.error(at(input), "query parameter '\(parameter.name.forDiagnostic)' has no key '\(key.forDiagnostic)' in the document\(hint)"))
        }
    }

    mutating func unknownParameter(_ input: InputField, _ operation: APIOperation) {
        let place = input.placement.rawValue
        let what = "input '\(input.name)' goes in the \(place) as '\(input.wireName.forDiagnostic)', but the document lists no \(input.placement == .header ? "header" : "query parameter") of that name"
        let elsewhere = operation.parameters.first { $0.name.lowercased() == input.wireName.lowercased() && $0.location.rawValue != place }
        let hint: String
        if let elsewhere {
            hint = "; the document has it in the \(elsewhere.location.rawValue): change 'in'"
        } else if let near = EditDistance.closest(to: input.wireName, in: operation.parameters.filter { $0.location.rawValue == place }.map(\.name), charge: budget.charge) {
            hint = "; did you mean '\(near.forDiagnostic)'?"
        } else {
            hint = input.placement == .header ? " (documents often leave common headers out; check the provider's docs)" : "; remove the input or fix its name"
        }
        let message = what + hint
        out.append(input.placement == .header && elsewhere == nil ? .warning(at(input), message) : .error(at(input), message))
    }

    mutating func check(_ input: InputField, _ parameter: DereferencedParameter) {
        let name = parameter.name.forDiagnostic
        guard case .a(let context) = parameter.schemaOrContent else {
            out.append(.warning(at(input), "parameter '\(name)' is described by 'content' (a serialized value) in the document; keyway does not check it"))
            return
        }
        let schema = SpecSchema(context.schema)
        if input.placement == .query {
            let isArray = if case .array = schema.shape { true } else { false }
            switch context.style {
            case .deepObject:
                out.append(.error(at(input), "query parameter '\(name)' is a deepObject (\(name)[key]=value) in the document; keyway sends no objects in the query: declare one input per key, with wire: '\(name)[key]'"))
                return
            case .spaceDelimited, .pipeDelimited:
                out.append(.error(at(input), "query parameter '\(name)' is \(context.style.rawValue) in the document; keyway sends arrays repeated or with style: comma only"))
                return
            case .form where isArray:
                if context.explode && input.style == .comma {
                    out.append(.error(at(input), "the document sends '\(name)' repeated (\(name)=a&\(name)=b: style form, explode true); remove style: comma"))
                } else if !context.explode && input.style != .comma {
                    out.append(.error(at(input), "the document wants '\(name)' comma-separated (\(name)=a,b: style form, explode false); add style: comma"))
                }
            default: break
            }
        }
        compare(input.schema, schema, "input '\(input.name)'", at(input), required: parameter.required)
    }

    mutating func body(_ operation: APIOperation) {
        let inputs = tool.inputs.filter { $0.placement == .body }
        guard let request = operation.requestBody else {
            for input in inputs {
                out.append(.error(at(input), "the operation takes no request body in the document; remove input '\(input.name)' or change 'in'"))
            }
            return
        }
        guard !inputs.isEmpty || request.required else { return }
        let types = request.content.keys.map(\.typeAndSubtype)
        let isJSON = { (t: String) in t == "application/json" || t.hasSuffix("+json") }
        let isForm = { (t: String) in t == "application/x-www-form-urlencoded" }
        let wanted = tool.encoding == .json ? isJSON : isForm
        let key = request.content.keys.first { wanted($0.typeAndSubtype) }
            ?? request.content.keys.first { isJSON($0.typeAndSubtype) || isForm($0.typeAndSubtype) }
        if !types.contains(where: wanted) {
            let listed = types.joined(separator: ", ").forDiagnostic
            let fix = if tool.encoding == .json && types.contains(where: isForm) { "add encoding: form" }
                else if tool.encoding == .form && types.contains(where: isJSON) { "remove encoding: form (JSON is the default)" }
                else { "keyway sends JSON or form bodies only; write the tool with request: custom" }
            // At 'encoding:' when the manifest wrote one, else at 'method:' (JSON by default).
            out.append(.error(tool.keyLocations["encoding"] ?? tool.location(ofKey: "method"), "the operation's request body is \(listed), not \(tool.encoding == .json ? "JSON" : "a form"); \(fix)"))
        }
        guard let key, let contentSchema = request.content[key]?.schema else { return }
        var schema = SpecSchema(contentSchema)
        if case .choice(let branches, _) = schema.shape {
            // The branch that names the most of the manifest's body inputs.
            let wires = Set(inputs.map(\.wireName))
            schema = branches.max { a, b in Self.overlap(a, wires) < Self.overlap(b, wires) } ?? schema
        }
        guard case .object(let properties, let required, let additional) = schema.shape else {
            if case .any = schema.shape { return }
            out.append(.error(tool.location, "the operation's request body is \(schema.typeName) in the document, not an object of named fields; write the tool with request: custom"))
            return
        }
        for input in inputs {
            if let property = properties.first(where: { $0.name == input.wireName }) {
                compare(input.schema, property.schema, "input '\(input.name)'", at(input), required: required.contains(input.wireName))
            } else if case .some(let values) = additional {
                if let values { compare(input.schema, values, "input '\(input.name)'", at(input), required: false) }
            } else {
                let hint = EditDistance.closest(to: input.wireName, in: properties.map(\.name), charge: budget.charge).map { "did you mean '\($0.forDiagnostic)'?" } ?? "remove the input or fix its name"
                out.append(.error(at(input), "the request body has no property '\(input.wireName.forDiagnostic)' in the document; \(hint)"))
            }
        }
        let sent = Set(inputs.map(\.wireName))
        let missing = required.sorted().filter { name in !sent.contains(name) && properties.first(where: { $0.name == name })?.schema.readOnly != true }
        if !missing.isEmpty {
            out.append(.error(tool.location, "the operation requires body \(missing.count == 1 ? "property" : "properties") \(missing.map { "'\($0.forDiagnostic)'" }.joined(separator: ", ")); add an input for \(missing.count == 1 ? "it" : "each") (in: body)"))
        }
    }

    static func overlap(_ schema: SpecSchema, _ names: Set<String>) -> Int {
        guard case .object(let properties, _, _) = schema.shape else { return -1 }
        return properties.filter { names.contains($0.name) }.count
    }

    /// Type, formats, enum, bounds, default and requiredness of one manifest schema
    /// against the document's.
    mutating func compare(_ m: ValueSchema, _ s: SpecSchema, _ what: String, _ at: SourceLocation, required: Bool) {
        if required && m.optional && m.defaultValue == nil {
            out.append(.error(at, "\(what) is optional here, but the document requires it; remove optional: true or give it a default"))
        }
        compareShape(m, s, what, at)
    }

    mutating func compareShape(_ m: ValueSchema, _ s: SpecSchema, _ what: String, _ at: SourceLocation) {
        switch s.shape {
        case .any, .unsupported:
            return
        case .choice(let branches, let keyword):
            for branch in branches {
                var trial = InputLinter(tool: tool, out: [], budget: budget)
                trial.compareShape(m, branch, what, at)
                if !trial.out.hasErrors {
                    out += trial.out
                    return
                }
            }
            out.append(.error(at, "\(what) matches none of the document's \(keyword) shapes (\(s.typeName)); make it one of them"))
            return
        default: break
        }
        switch (m.type, s.shape) {
        case (.string(let format), .string(let specFormat)):
            if let format, let specFormat, format.rawValue != specFormat, StringFormat(rawValue: specFormat) != nil {
                out.append(.error(at, "\(what) has format \(format.rawValue), but the document says \(specFormat.forDiagnostic); use format: \(specFormat.forDiagnostic)"))
            }
        case (.integer, .integer), (.integer, .number), (.number, .number), (.boolean, .boolean):
            break
        case (.number, .integer):
            out.append(.warning(at, "\(what) is a number here, but the document says integer; use type: integer so that no fraction is sent"))
        case (.array(let items), .array(let specItems)):
            if let specItems { compareShape(items, specItems, "the items of \(what)", at) }
        case (.object(let properties), .object(let specProperties, let required, let additional)):
            for property in properties {
                let label = "property '\(property.name)' of \(what)"
                if let spec = specProperties.first(where: { $0.name == property.name }) {
                    compare(property.schema, spec.schema, label, at, required: required.contains(property.name))
                } else if case .some(let values) = additional {
                    if let values { compareShape(property.schema, values, label, at) }
                } else {
                    let hint = EditDistance.closest(to: property.name, in: specProperties.map(\.name), charge: budget.charge).map { "did you mean '\($0.forDiagnostic)'?" } ?? "remove it"
                    out.append(.error(at, "\(what) has property '\(property.name)' the document does not list; \(hint)"))
                }
            }
            let missing = required.sorted().filter { name in !properties.contains { $0.name == name } && specProperties.first { $0.name == name }?.schema.readOnly != true }
            if !missing.isEmpty {
                out.append(.error(at, "\(what) lacks the document's required \(missing.count == 1 ? "property" : "properties") \(missing.map { "'\($0.forDiagnostic)'" }.joined(separator: ", ")); add \(missing.count == 1 ? "it" : "them") under 'properties'"))
            }
        case (.map(let values), .object(let specProperties, _, let additional)):
            switch additional {
            case .some(let specValues?): compareShape(values, specValues, "the values of \(what)", at)
            case .some(nil): break
            case nil:
                let names = specProperties.map { "'\($0.name.forDiagnostic)'" }.joined(separator: ", ")
                out.append(.error(at, "\(what) is a map (values:), but the document allows only the properties \(names); use properties:"))
            }
        default:
            out.append(.error(at, "\(what) is \(Self.article(m.type.name)) here, but the document says \(s.typeName); use type: \(s.typeName)"))
            return
        }
        if let specAllowed = s.allowedTexts, let allowed = m.allowed {
            let extra = allowed.map(\.text).filter { !specAllowed.contains($0) }
            if !extra.isEmpty {
                let listed = specAllowed.prefix(12).map { "'\($0.forDiagnostic)'" }.joined(separator: ", ") + (specAllowed.count > 12 ? ", …" : "")
                out.append(.error(at, "enum \(extra.count == 1 ? "value" : "values") \(extra.map { "'\($0.forDiagnostic)'" }.joined(separator: ", ")) of \(what) \(extra.count == 1 ? "is" : "are") not among the document's (\(listed)); remove \(extra.count == 1 ? "it" : "them")"))
            }
        }
        bounds(m, s, what, at)
        if let d = m.defaultValue, let specDefault = s.defaultValue.flatMap({ SpecSchema.text($0.value) }), d.text != specDefault {
            out.append(.warning(at, "\(what) defaults to \(d.text.forDiagnostic) here, but to \(specDefault.forDiagnostic) in the document; keyway sends its own default, so keep it only on purpose (say why in a comment)"))
        }
    }

    /// The manifest's constraints lie within the document's; one only the document has
    /// is a warning (the model is not told it). `Constraint.lintFinding` says which.
    mutating func bounds(_ m: ValueSchema, _ s: SpecSchema, _ what: String, _ at: SourceLocation) {
        let integer = if case .integer = m.type { true } else { false }
        let unit = if case .array = m.type { "items" } else { "characters" }
        for constraint in s.constraints where constraint.key.applies(to: m.type) {
            if let finding = constraint.lintFinding(mine: m.constraint(constraint.key), exclusive: s.exclusive.contains(constraint.key), integer: integer, unit: unit, what: what) {
                out.append(finding.isError ? .error(at, finding.message) : .warning(at, finding.message))
            }
        }
    }

    // MARK: - The output, against the operation's success answer

    /// Each declared output field against the document's answer: a field it does not
    /// have, another type, `null` it allows and the manifest does not (every such answer
    /// would fail), a field it does not promise in every answer, enum values it may send
    /// beyond the manifest's. At the top-level field's line.
    mutating func output(_ output: OutputContract, _ operation: APIOperation) {
        let at = tool.location(ofKey: "output")
        var answer: SpecSchema
        switch operation.answerSchema() {
        case .success(let read): answer = read
        case .failure(let why):
            out.append(.warning(at, "the document's answer cannot be read (\(why.reason)); the output is not checked"))
            return
        }
        if case .choice(let branches, _) = answer.shape, let object = branches.first(where: { if case .object = $0.shape { true } else { false } }) { answer = object }
        guard case .object = answer.shape else {
            if case .any = answer.shape { return }
            out.append(.error(at, "the document's answer is \(answer.typeName), not an object of named fields; remove 'output'"))
            return
        }
        for field in output.fields {
            compareOutput(field.schema, answer, field: field.name, at: tool.outputLocations[field.name] ?? at, nested: false)
        }
    }

    /// One declared field (`name`, `schema`) of the document's object `parent`.
    private mutating func compareOutput(_ m: ValueSchema, _ parent: SpecSchema, field name: String, at: SourceLocation, nested: Bool) {
        guard case .object(let properties, let requiredNames, let additional) = parent.shape else { return }
        let spec: SpecSchema
        let promised: Bool
        if let property = properties.first(where: { $0.name == name }) {
            spec = property.schema
            promised = requiredNames.contains(name)
        } else if case .some(let values?) = additional {
            spec = values
            promised = false
        } else if case .some(nil) = additional, properties.isEmpty {
            return
        } else {
            let hint = EditDistance.closest(to: name, in: properties.map(\.name), charge: budget.charge).map { "did you mean '\($0.forDiagnostic)'?" } ?? "remove it"
            out.append(.error(at, "the document's answer has no field '\(name.forDiagnostic)'\(nested ? " there" : ""); \(hint)"))
            return
        }
        compareOutputValue(m, spec, what: "output field '\(name)'", promised: promised, at: at)
    }

    private mutating func compareOutputValue(_ m: ValueSchema, _ spec: SpecSchema, what: String, promised: Bool, at: SourceLocation) {
        if !m.optional && !promised {
            out.append(.warning(at, "the document does not promise \(what) in every answer; add optional: true unless the provider always sends it"))
        }
        if spec.nullable && !m.nullable {
            out.append(.error(at, "the document says \(what) may be null; add nullable: true (an answer with null would not conform)"))
        }
        var s = spec
        if case .choice(let branches, let keyword) = s.shape {
            guard let same = branches.first(where: { $0.typeName == m.type.name || ($0.typeName == "integer" && m.type.name == "number") }) else {
                out.append(.error(at, "\(what) is \(Self.article(m.type.name)), but the document's \(keyword) says \(s.typeName); declare the shape the provider sends"))
                return
            }
            s = same
        }
        switch (m.type, s.shape) {
        case (_, .any), (_, .unsupported): return
        case (.string, .string), (.number, .number), (.number, .integer), (.integer, .integer), (.boolean, .boolean): break
        case (.integer, .number):
            out.append(.error(at, "\(what) is an integer here, but the document says number; use type: number (an answer with a fraction would not conform)"))
        case (.array(let items), .array(let specItems)):
            if let specItems { compareOutputValue(items, specItems, what: "the items of \(what)", promised: true, at: at) }
        case (.object(let fields), .object):
            for field in fields { compareOutput(field.schema, s, field: field.name, at: at, nested: true) }
        case (.map(let values), .object(_, _, let additional)):
            if case .some(let specValues?) = additional { compareOutputValue(values, specValues, what: "the values of \(what)", promised: true, at: at) }
        default:
            out.append(.error(at, "\(what) is \(Self.article(m.type.name)) here, but the document says \(s.typeName); use type: \(s.typeName)"))
            return
        }
        if let allowed = m.allowed {
            let mine = allowed.map(\.text)
            if let specAllowed = s.allowedTexts {
                let extra = specAllowed.filter { !mine.contains($0) }
                if !extra.isEmpty {
                    out.append(.error(at, "the document's \(what) may also be \(extra.map { "'\($0.forDiagnostic)'" }.joined(separator: ", ")); add \(extra.count == 1 ? "it" : "them") to 'enum' (an answer with \(extra.count == 1 ? "it" : "one") would not conform)"))
                }
            } else {
                out.append(.warning(at, "the document does not limit \(what) to the manifest's 'enum'; an answer with another value would not conform"))
            }
        }
    }

    static func article(_ name: String) -> String { (["array", "object", "integer"].contains(name) ? "an " : "a ") + name }
}
