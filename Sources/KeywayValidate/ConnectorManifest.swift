import KeywayContract
import KeywayLoad
import KeywayModel

/// Reads `connectors/<slug>.yaml` into a `Connector` with its tools and their inputs.
extension NodeReader {
    static let connectorKeys = ["slug", "name", "description", "nango", "multiple_connections", "tools"]
    static let nangoKeys = ["provider_key"]
    static let toolKeys = ["name", "description", "method", "endpoint", "scopes", "request", "encoding", "input", "output", "log"]
    /// `log:`: what the call log keeps of the tool's calls beyond the outcome.
    static let logKeys = ["arguments", "response", "max_bytes"]
    static let nestedInputKeys = ["type", "format", "description", "optional", "default", "enum", "items", "properties", "values"]
        + Constraint.Key.allCases.map(\.rawValue)
    static let inputKeys = nestedInputKeys + ["in", "wire", "style"]
    /// An output field's keys: an input's schema without what only a request uses
    /// (defaults, constraints, placement), plus `nullable`.
    static let outputKeys = ["type", "format", "description", "optional", "nullable", "enum", "items", "properties", "values"]

    /// Whose schema is read: an input's or an output field's (their keys and words differ).
    enum SchemaRole {
        case input, output
        var keys: [String] { self == .input ? NodeReader.nestedInputKeys : NodeReader.outputKeys }
        var noun: String { self == .input ? "input" : "output" }
    }

    func connector(_ doc: ManifestDocument) -> Connector? {
        let errorsBefore = diagnostics.count
        defer {
            // A tool dropped for an error would make its scopes look unused: remember
            // the integration so that no misleading warning follows the real error.
            if diagnostics.count > errorsBefore, case .mapping(let pairs) = doc.root.value,
               case .mapping(let nango)? = pairs.first(where: { $0.key == "nango" })?.value.value,
               case .scalar(let key)? = nango.first(where: { $0.key == "provider_key" })?.value.value {
                integrationsWithBrokenConnectors.insert(key.text)
            }
        }
        guard let f = mapping(doc.root, "a connector manifest", allowed: Self.connectorKeys) else { return nil }
        let what = "the connector"
        let slug = slug(f, "slug", what)
        let name = string(f, "name", what)
        let description = string(f, "description", what, required: false)
        var providerKey: Located<String>?
        if let nango = f["nango"] {
            if let n = mapping(nango.value, "'nango'", allowed: Self.nangoKeys) { providerKey = self.slug(n, "provider_key", "'nango'") }
        } else {
            error(f.node.location, "the connector is missing the required key 'nango' (with provider_key: the integration it uses)")
        }
        let multiple = bool(f, "multiple_connections")
        var tools: [Tool] = []
        var toolLines: [String: Int] = [:]
        for item in list(f, "tools", what) ?? [] {
            guard let tool = tool(item) else { continue }
            if let line = toolLines[tool.name] {
                error(tool.location, "tool '\(tool.name)' is defined twice in this connector (first at line \(line)); rename one")
            } else {
                toolLines[tool.name] = tool.location.line
                tools.append(tool)
            }
        }
        if let slug, let stem = doc.relativePath.split(separator: "/").last?.split(separator: ".").first, String(stem) != slug.value {
            warning(slug.location, "the file is named '\(String(stem).forDiagnostic)' but its slug is '\(slug.value)'; rename the file to \(slug.value).yaml")
        }
        guard let slug, let name, let providerKey else { return nil }
        return Connector(slug: slug.value, name: name.value, description: description?.value, providerKey: providerKey.value,
                         multipleConnections: multiple?.value ?? false, tools: tools, location: slug.location, providerKeyLocation: providerKey.location)
    }

    private func tool(_ node: YAMLNode) -> Tool? {
        guard let f = mapping(node, "each tool", allowed: Self.toolKeys) else { return nil }
        let name = string(f, "name", "the tool")
        if let n = name, !FormatRules.isToolName(n.value) {
            error(n.location, "tool names must match ^[A-Za-z][A-Za-z0-9_-]{0,63}$ (what model APIs accept), not '\(n.value.forDiagnostic)'")
            return nil
        }
        let what = name.map { "tool '\($0.value)'" } ?? "the tool"
        let description = string(f, "description", what)
        let method: Located<HTTPMethod>? = choice(f, "method", what, caseInsensitive: true)
        let endpoint = string(f, "endpoint", what)
        if let e = endpoint, let problem = Self.endpointProblem(e.value) { error(e.location, problem) }
        let request: Located<RequestStyle>? = f["request"] == nil ? nil : choice(f, "request", what)
        let encoding: Located<BodyEncoding>? = f["encoding"] == nil ? nil : choice(f, "encoding", what)
        if let encoding {
            if let m = method?.value, !m.carriesBody {
                error(encoding.location, "a \(m.rawValue) request has no body to encode; remove 'encoding'")
            } else if request?.value == .custom {
                error(encoding.location, "a custom request builds its own body; remove 'encoding'")
            }
        }
        var scopes: [Located<String>] = []
        var scopeSet: Set<String> = []
        for scope in stringList(f, "scopes", what) ?? [] {
            if !scopeSet.insert(scope.value).inserted {
                error(scope.location, "scope '\(scope.value.forDiagnostic)' is listed twice; remove one")
            } else {
                scopes.append(scope)
            }
        }
        var inputs: [InputField] = []
        var inputLocations: [String: SourceLocation] = [:]
        // Wire names taken, per location (headers without case), to the input that has it.
        var wireOwners: [String: String] = [:]
        func wireKey(_ name: String, _ location: InputPlacement) -> String { location.rawValue + "\u{0}" + (location == .header ? name.lowercased() : name) }
        let placeholders = endpoint.map { Tool.placeholders(in: $0.value) } ?? []
        let placeholderSet = Set(placeholders)
        for entry in namedEntries(f, "input") ?? [] {
            guard NameRules.isInputName(entry.key) else {
                error(entry.keyLocation, "input names must match ^[A-Za-z_][A-Za-z0-9_.-]{0,63}$, not '\(entry.key.forDiagnostic)'")
                continue
            }
            let inputWhat = "input '\(entry.key)'"
            guard let fields = mapping(entry.value, inputWhat, allowed: Self.inputKeys),
                  let schema = inputSchema(fields, inputWhat) else { continue }
            var location: InputPlacement
            if fields["in"] != nil {
                guard let explicit: Located<InputPlacement> = choice(fields, "in", inputWhat) else { continue }
                location = explicit.value
                if location == .path && !placeholderSet.contains(entry.key) {
                    error(explicit.location, "input '\(entry.key)' goes in the path, but the endpoint has no '{\(entry.key)}'; add it to the endpoint or change 'in'")
                }
                if location == .body, let m = method?.value, !m.carriesBody {
                    error(explicit.location, "a \(m.rawValue) request has no body; put input '\(entry.key)' in the query")
                }
            } else {
                location = placeholderSet.contains(entry.key) ? .path : (method?.value.defaultInputPlacement ?? .body)
            }
            if location == .path && schema.optional {
                error(entry.keyLocation, "path input '\(entry.key)' cannot be optional: the endpoint needs it")
            }
            if location == .query, case .array(let items) = schema.type {
                if !items.type.isScalar { error(entry.keyLocation, "input '\(entry.key)' is an array of \(items.type.name)s and cannot go in the query; use an array of strings, numbers or booleans, or in: body") }
            } else if location == .path || location == .query || location == .header, !schema.type.isScalar {
                let kind = if case .array = schema.type { "an array" } else { "an object" }
                let hint = location == .query ? "use in: body" : "use in: query (arrays) or in: body"
                error(entry.keyLocation, "input '\(entry.key)' is \(kind) and cannot go in the \(location.rawValue); \(hint)")
            }
            var style: QueryArrayStyle?
            if fields["style"] != nil, let chosen: Located<QueryArrayStyle> = choice(fields, "style", inputWhat) {
                if location == .query, case .array(let items) = schema.type {
                    style = chosen.value
                    if chosen.value == .comma, let allowed = items.allowed, allowed.contains(where: { if case .string(let s) = $0 { s.contains(",") } else { false } }) {
                        error(chosen.location, "an 'enum' value of input '\(entry.key)' contains ',', which a comma-joined list would split in two; use style: repeated or change the value")
                    }
                } else {
                    error(chosen.location, "'style' applies to arrays in the query only")
                }
            }
            var wire: String?
            if let w = string(fields, "wire", inputWhat, required: false) {
                if let problem = NameRules.wireProblem(w.value, placement: location, input: entry.key) {
                    error(w.location, problem)
                } else if location == .body, encoding?.value == .form, w.value.contains("[") || w.value.contains("]") {
                    error(w.location, "in a form body the brackets come from the encoding (arrays as name[]=…, objects as name[key]=…); write wire: '\(String(w.value.prefix { $0 != "[" }).forDiagnostic)'")
                } else if let other = wireOwners[wireKey(w.value, location)] {
                    error(w.location, "wire name '\(w.value.forDiagnostic)' is also input '\(other)''s in the \(location.rawValue); each input needs its own")
                } else {
                    wire = w.value
                }
            } else if let other = wireOwners[wireKey(entry.key, location)] {
                error(entry.keyLocation, "input '\(entry.key)' goes in the \(location.rawValue) under the name input '\(other)' already sends; give one of them another 'wire'")
            }
            let key = wireKey(wire ?? entry.key, location)
            if wireOwners[key] == nil { wireOwners[key] = entry.key }
            inputs.append(InputField(entry.key, schema, in: location, wire: wire, style: style))
            inputLocations[entry.key] = entry.keyLocation
        }
        var output: OutputContract?
        var outputLocations: [String: SourceLocation] = [:]
        if let entries = namedEntries(f, "output") {
            var fields: [NamedSchema] = []
            for entry in entries {
                guard NameRules.isInputName(entry.key) else {
                    error(entry.keyLocation, "output field names must match ^[A-Za-z_][A-Za-z0-9_.-]{0,63}$, not '\(entry.key.forDiagnostic)'")
                    continue
                }
                let fieldWhat = "output field '\(entry.key)'"
                guard let fieldKeys = mapping(entry.value, fieldWhat, allowed: Self.outputKeys),
                      let schema = inputSchema(fieldKeys, fieldWhat, role: .output) else { continue }
                fields.append(NamedSchema(entry.key, schema))
                outputLocations[entry.key] = entry.keyLocation
            }
            output = OutputContract(fields)
        }
        let callLog = f["log"].map { callLogPolicy($0.value) } ?? .none
        let inputNames = Set(inputs.map { $0.name })
        let writtenNames = Set(namedEntries(f, "input")?.map { $0.key } ?? [])
        for placeholder in placeholders where !inputNames.contains(placeholder) {
            if let e = endpoint, !writtenNames.contains(placeholder) {
                error(e.location, "the endpoint names '{\(placeholder.forDiagnostic)}' but no input of that name exists; add it under 'input'")
            }
        }
        guard let name, let description, let method, let endpoint else { return nil }
        return Tool(name: name.value, description: description.value, method: method.value, endpoint: endpoint.value,
                    scopes: scopes.map { $0.value }, request: request?.value ?? .standard, encoding: encoding?.value ?? .json, inputs: inputs, output: output, callLog: callLog,
                    location: name.location, scopeLocations: Dictionary(scopes.map { ($0.value, $0.location) }, uniquingKeysWith: { a, _ in a }),
                    inputLocations: inputLocations,
                    keyLocations: ["method": method.location, "endpoint": endpoint.location].merging(encoding.map { ["encoding": $0.location] } ?? [:]) { a, _ in a }
                        .merging(f["output"].map { ["output": $0.keyLocation] } ?? [:]) { a, _ in a },
                    outputLocations: outputLocations)
    }

    /// `log: {arguments: true, response: true, max_bytes: 8192}`: both default to false.
    func callLogPolicy(_ node: YAMLNode) -> CallLogPolicy {
        guard let f = mapping(node, "'log'", allowed: Self.logKeys) else { return .none }
        let arguments = bool(f, "arguments"), response = bool(f, "response")
        var policy = CallLogPolicy(arguments: arguments?.value ?? false, response: response?.value ?? false)
        if let pair = f["max_bytes"] {
            let range = CallLogPolicy.maxBytesRange
            if case .scalar(let scalar) = pair.value.value, scalar.style == .plain, let bytes = Int(scalar.text), range.contains(bytes) {
                policy.maxBytes = bytes
            } else {
                error(pair.value.location, "'max_bytes' must be a whole number of bytes from \(range.lowerBound) to \(range.upperBound), found \(describe(pair.value))")
            }
        }
        // (A key that is not true or false has its own error.)
        if !policy.arguments && !policy.response && (arguments != nil || f["arguments"] == nil) && (response != nil || f["response"] == nil) {
            error(node.location, "'log' keeps nothing; set arguments: true or response: true, or remove it")
        }
        return policy
    }

    /// Why an endpoint is not a clean path template, or nil.
    static func endpointProblem(_ endpoint: String) -> String? {
        guard endpoint.hasPrefix("/") else { return "the endpoint must start with '/' (a path on the provider's API, like /gmail/v1/users/me/messages)" }
        if FormatRules.hasControlOrSpace(endpoint) { return "the endpoint must not contain spaces or control characters" }
        // What a URL's path holds only percent-encoded (RFC 3986), and would also end the
        // code span the generated doc comment writes the endpoint in.
        if let byte = endpoint.utf8.first(where: { "`\"<>|^".utf8.contains($0) }) {
            let character = Character(Unicode.Scalar(byte))
            return "the endpoint must not contain '\(character)': a URL's path holds it only percent-encoded; write %\(String(byte, radix: 16, uppercase: true))"
        }
        if endpoint.utf8.contains(UInt8(ascii: "?")) || endpoint.utf8.contains(UInt8(ascii: "#")) { return "the endpoint must be a path only; declare query parameters as inputs with in: query" }
        if endpoint.containsASCII("//") { return "the endpoint must not contain '//' (an empty segment can change the host a URL points at)" }
        if hasDotSegment(endpoint) { return "the endpoint must not contain '.' or '..' segments" }
        if endpoint.containsASCII("%2e", ignoringCase: true) || endpoint.containsASCII("%2f", ignoringCase: true)
            || endpoint.containsASCII("%5c", ignoringCase: true) || endpoint.utf8.contains(UInt8(ascii: "\\")) {
            return "the endpoint must not contain encoded dots or slashes, or backslashes: they can climb out of the API's path"
        }
        return placeholderProblem(endpoint)
    }

    /// Whether a `/`-separated segment is `.` or `..` (over UTF-8 bytes, as a URL's path is
    /// read).
    static func hasDotSegment(_ endpoint: String) -> Bool {
        var dots = 0, other = false
        for byte in endpoint.utf8 {
            if byte == UInt8(ascii: "/") {
                if !other && (dots == 1 || dots == 2) { return true }
                dots = 0
                other = false
            } else if byte == UInt8(ascii: ".") {
                dots += 1
            } else {
                other = true
            }
        }
        return !other && (dots == 1 || dots == 2)
    }

    /// The placeholder rules, over UTF-8 bytes (a brace is one byte, never part of another
    /// character): braces paired, not nested; each name an input name, and named once
    /// (reported after the other rules).
    static func placeholderProblem(_ endpoint: String) -> String? {
        let utf8 = endpoint.utf8
        var start: String.Index?
        var names: Set<String> = []
        var repeated = false
        var i = utf8.startIndex
        while i != utf8.endIndex {
            switch utf8[i] {
            case UInt8(ascii: "{"):
                if start != nil { return "the endpoint has a '{' inside a placeholder" }
                start = utf8.index(after: i)
            case UInt8(ascii: "}"):
                guard let s = start else { return "the endpoint has a '}' without '{'" }
                let name = String(decoding: utf8[s..<i], as: UTF8.self)
                if !NameRules.isInputName(name) { return "placeholder '{\(name.forDiagnostic)}' must be an input name (^[A-Za-z_][A-Za-z0-9_.-]{0,63}$)" }
                if !names.insert(name).inserted { repeated = true }
                start = nil
            default: break
            }
            i = utf8.index(after: i)
        }
        if start != nil { return "the endpoint has a '{' that is never closed" }
        return repeated ? "the endpoint names the same placeholder twice" : nil
    }

    /// An input's (or an output field's) type and constraints. `fields` was already
    /// checked for unknown keys.
    func inputSchema(_ f: Fields, _ what: String, role: SchemaRole = .input) -> ValueSchema? {
        guard let typeName = string(f, "type", what) else { return nil }
        let description = string(f, "description", what, required: false)?.value
        let optional = bool(f, "optional")?.value ?? false
        let nullable = role == .output ? bool(f, "nullable")?.value ?? false : false
        var type: ValueType
        switch typeName.value {
        case "string":
            var format: StringFormat?
            if f["format"] != nil {
                guard let fmt: Located<StringFormat> = choice(f, "format", what) else { return nil }
                format = fmt.value
            }
            type = .string(format: format)
        case "integer": type = .integer
        case "number": type = .number
        case "boolean": type = .boolean
        case "array":
            guard let items = f["items"] else {
                error(f.node.location, "\(what) is an array and needs 'items' (e.g. items: { type: string })")
                return nil
            }
            guard let itemFields = mapping(items.value, "'items'", allowed: role.keys),
                  let itemSchema = inputSchema(itemFields, "the items of \(what)", role: role) else { return nil }
            type = .array(items: itemSchema)
        case "object" where f["values"] != nil:
            if let p = f["properties"] {
                error(p.keyLocation, "\(what) has both 'values' (a map of any keys) and 'properties' (fixed keys); keep one")
                return nil
            }
            guard let valueFields = mapping(f["values"]!.value, "'values'", allowed: role.keys),
                  let valueSchema = inputSchema(valueFields, "the values of \(what)", role: role) else { return nil }
            if valueSchema.optional { error(f["values"]!.keyLocation, "the values of a map cannot be optional; remove 'optional'") }
            type = .map(values: valueSchema)
        case "object":
            var properties: [NamedSchema] = []
            for entry in namedEntries(f, "properties") ?? [] {
                guard NameRules.isInputName(entry.key) else {
                    error(entry.keyLocation, "property names must match ^[A-Za-z_][A-Za-z0-9_.-]{0,63}$, not '\(entry.key.forDiagnostic)'")
                    continue
                }
                guard let pf = mapping(entry.value, "property '\(entry.key)'", allowed: role.keys),
                      let ps = inputSchema(pf, "property '\(entry.key)'", role: role) else { continue }
                properties.append(NamedSchema(entry.key, ps))
            }
            type = .object(properties: properties)
        default:
            let options = ["string", "integer", "number", "boolean", "array", "object"]
            let hint = closest(to: typeName.value, in: options).map { "did you mean '\($0)'?" } ?? "use one of: \(options.joined(separator: ", "))"
            error(typeName.location, "unknown \(role.noun) type '\(typeName.value.forDiagnostic)'; \(hint)")
            return nil
        }
        if f["format"] != nil, typeName.value != "string" { error(f["format"]!.keyLocation, "'format' applies to strings only") }
        if f["items"] != nil, typeName.value != "array" { error(f["items"]!.keyLocation, "'items' applies to arrays only") }
        if f["properties"] != nil, typeName.value != "object" { error(f["properties"]!.keyLocation, "'properties' applies to objects only") }
        if f["values"] != nil, typeName.value != "object" { error(f["values"]!.keyLocation, "'values' applies to objects only") }
        let constraints = self.constraints(f, of: type, what)
        var allowed: [LiteralValue]?
        if let e = f["enum"] {
            if case .sequence(let items) = e.value.value, !items.isEmpty, type.isScalar {
                let values = items.compactMap { literal($0, of: type, "each value of 'enum'") }
                if Set(values).count != values.count { error(e.value.location, "'enum' lists a value twice") }
                for (value, node) in zip(values, items) {
                    if let problem = Self.violation(value, constraints) { error(node.location, "this 'enum' value \(problem)") }
                }
                allowed = values
            } else {
                error(e.value.location, type.isScalar ? "'enum' must be a non-empty list of allowed values" : "'enum' applies to strings, numbers and booleans only")
            }
        }
        var defaultValue: LiteralValue?
        if let d = f["default"] {
            if type.isScalar {
                defaultValue = literal(d.value, of: type, "'default'")
                if let v = defaultValue, let allowed, !allowed.contains(v) { error(d.value.location, "the default is not one of the 'enum' values") }
                if let v = defaultValue, let problem = Self.violation(v, constraints) { error(d.value.location, "the default \(problem)") }
                if !optional { warning(d.keyLocation, "a default on a required input is never used; add optional: true or remove the default") }
            } else {
                error(d.value.location, "'default' applies to strings, numbers and booleans only")
            }
        }
        return ValueSchema(type, description: description, optional: optional, nullable: nullable, default: defaultValue, enum: allowed, constraints: constraints)
    }

    /// The constraints of `Constraint`'s table the fields name, each checked against the
    /// input's type and its argument's kind, in the table's order.
    func constraints(_ f: Fields, of type: ValueType, _ what: String) -> [Constraint] {
        var constraints: [Constraint] = []
        var written: [Constraint.Key: YAMLPair] = [:]
        for key in Constraint.Key.allCases {
            guard let pair = f[key.rawValue] else { continue }
            guard key.applies(to: type) else {
                error(pair.keyLocation, "'\(key.rawValue)' applies to \(key.appliesTo) only; \(what) is \(type.articleName)")
                continue
            }
            let argument: LiteralValue?
            switch key.argument {
            case .bound:
                argument = literal(pair.value, of: type == .integer ? .integer : .number, "'\(key.rawValue)'")
            case .count:
                guard case .scalar(let s) = pair.value.value, s.style == .plain, let n = Int(s.text), n >= 0, n <= 1_000_000_000 else {
                    error(pair.value.location, "'\(key.rawValue)' must be a whole number from 0 to 1000000000, found \(describe(pair.value))")
                    continue
                }
                argument = .integer(Int64(n))
            case .regularExpression:
                argument = string(pair.value, "'\(key.rawValue)'").map { .string($0.value) }
            }
            guard let argument, let constraint = Constraint(key, argument) else { continue }
            if let problem = constraint.argumentProblem {
                error(pair.value.location, problem)
                continue
            }
            constraints.append(constraint)
            written[key] = pair
        }
        for (lower, upper) in Constraint.orderedPairs {
            if let low = constraints.first(where: { $0.key == lower })?.argument.number, let high = constraints.first(where: { $0.key == upper })?.argument.number,
               low > high, let pair = written[lower] {
                error(pair.value.location, "'\(lower.rawValue)' is greater than '\(upper.rawValue)'; nothing could be sent")
            }
        }
        return constraints
    }

    /// How a literal (a default, an enum value) breaks one of the constraints, or nil.
    static func violation(_ value: LiteralValue, _ constraints: [Constraint]) -> String? {
        constraints.lazy.compactMap { $0.manifestViolation(by: value) }.first
    }

    /// A literal of an input's type: a string as written; an integer, number or boolean
    /// as a plain scalar in YAML 1.2 core form.
    private func literal(_ node: YAMLNode, of type: ValueType, _ what: String) -> LiteralValue? {
        guard case .scalar(let s) = node.value, !s.isNull else {
            error(node.location, "\(what) must be \(type.articleName), found \(node.kindName)")
            return nil
        }
        // A whole number written out must be one a JSON number holds exactly: beyond that,
        // the value checked and written would silently be a neighbour of the one written.
        func beyondExact() -> LiteralValue? {
            error(node.location, "\(what) is beyond ±\(JSONNumber.largestExactWhole) (2^53 − 1), where JSON numbers stop holding every whole number exactly (keyway would check and write a neighbour); keep it within, and put an identifier that large in a string input")
            return nil
        }
        // A sign at most, then ASCII digits: a whole number, however long.
        let unsigned = s.text.first == "+" || s.text.first == "-" ? s.text.dropFirst() : Substring(s.text)
        let whole = s.style == .plain && !unsigned.isEmpty && unsigned.utf8.allSatisfy { (0x30...0x39).contains($0) }
        switch type {
        case .string: return .string(s.text)
        case .integer:
            if s.style == .plain, let v = Int64(s.text) { return v.magnitude <= JSONNumber.largestExactWhole ? .integer(v) : beyondExact() }
            if whole { return beyondExact() }
        case .number:
            if s.style == .plain, let v = Double(s.text), s.text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) {
                guard v.isFinite else {
                    error(node.location, "\(what) is too large for a number (JSON numbers end near ±1.8e308); use a smaller value")
                    return nil
                }
                return whole && v.magnitude > Double(JSONNumber.largestExactWhole) ? beyondExact() : .number(v)
            }
        case .boolean:
            if s.style == .plain, s.text == "true" || s.text == "false" { return .boolean(s.text == "true") }
        case .array, .object, .map: break
        }
        error(node.location, "\(what) must be \(type.articleName), found '\(s.text.forDiagnostic)'")
        return nil
    }
}
